/**
 * The dialects of Cloudflare's API we cannot rule out (see src/emulator/dialect.ts), for behaviour tests that
 * must hold in each: every post shape with smooth and coarse progress, and one with every tolerance knob on.
 */
import type { EmulatorOptions } from "../../src/emulator";
import { POST_SHAPES, PROGRESS_DIALECTS } from "../../src/emulator";

/** A named set of emulator options. */
export interface DialectCase {
  name: string;
  options: Pick<EmulatorOptions, "postShape" | "progress" | "videoDialect" | "downloadDialect">;
}

/** Every post shape in both progress dialects, then the default shape with every variation at once. */
export const DIALECTS: DialectCase[] = [
  ...PROGRESS_DIALECTS.flatMap((progress) =>
    POST_SHAPES.map((postShape) => ({
      name: `${postShape} POST, ${progress} progress`,
      options: { postShape, progress },
    })),
  ),
  {
    name: "numbers as strings, no readyToStream, no URL while in progress, a 'queued' status",
    options: {
      videoDialect: { pctCompleteAsNumber: true, omitReadyToStream: true },
      downloadDialect: { percentAsString: true, omitUrlWhileInProgress: true, extraStatus: "queued" },
    },
  },
];
