/**
 * The dialects of Cloudflare's API we cannot rule out (see src/emulator/dialect.ts), for behaviour tests that
 * must hold in each: every post shape with smooth and coarse progress, and one with every tolerance knob on.
 * The empty-list forms ride along on three of them rather than multiplying the suite: `null` with the keyed
 * shape, no `result` with single and coarse, `[]` with every knob on; the rest send `{}`.
 */
import type { EmulatorOptions } from "../../src/emulator";
import type { EmptyListForm, PostShape, ProgressDialect } from "../../src/emulator";
import { POST_SHAPES, PROGRESS_DIALECTS } from "../../src/emulator";

/** A named set of emulator options. */
export interface DialectCase {
  name: string;
  options: Pick<EmulatorOptions, "postShape" | "progress" | "emptyList" | "videoDialect" | "downloadDialect">;
}

/** The empty-list form each post shape and progress is combined with; `{}` (object) where none is named. */
const EMPTY_LISTS: Partial<Record<`${PostShape} ${ProgressDialect}`, EmptyListForm>> = {
  "keyed smooth": "null",
  "single coarse": "absent",
};

/** Every post shape in both progress dialects, then the default shape with every variation at once. */
export const DIALECTS: DialectCase[] = [
  ...PROGRESS_DIALECTS.flatMap((progress) =>
    POST_SHAPES.map((postShape) => {
      const emptyList = EMPTY_LISTS[`${postShape} ${progress}`];
      return emptyList === undefined
        ? { name: `${postShape} POST, ${progress} progress`, options: { postShape, progress } }
        : {
            name: `${postShape} POST, ${progress} progress, empty list ${emptyList}`,
            options: { postShape, progress, emptyList },
          };
    }),
  ),
  {
    name: "numbers as strings, no readyToStream, no URL while in progress, a 'queued' status, empty list []",
    options: {
      emptyList: "array",
      videoDialect: { pctCompleteAsNumber: true, omitReadyToStream: true },
      downloadDialect: { percentAsString: true, omitUrlWhileInProgress: true, extraStatus: "queued" },
    },
  },
];
