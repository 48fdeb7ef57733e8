/**
 * The shape of a Cloudflare answer, and how two answers to the same call differ in shape.
 *
 * Shape is what a reader depends on: which keys there are, the type of each value (a number is not a numeric
 * string), whether a status is one Cloudflare documents, whether a download URL has the documented form, and
 * the form of a create's result (keyed by type, the single download, `{}`, other). Values that legitimately
 * differ between two accounts or two moments (ids, times, percentages, customer codes) are not compared.
 *
 * Both sides are compared after redaction (see transcript.ts), so a download URL reads
 * `https://customer-<code>.cloudflarestream.com/<video>/downloads/default.mp4` on either side.
 */
import { isEmptyList, parseVideoList } from "../../src/core/parse";
import { DOWNLOAD_TYPE_TABLE, DOWNLOAD_TYPES, type DownloadType } from "../../src/core/download-types";
import { DOWNLOAD_STATUSES } from "../../src/core/wire";
import { PLACEHOLDERS } from "./transcript";

/** The processing states Cloudflare documents for a video's `status.state`. */
export const DOCUMENTED_VIDEO_STATES = [
  "pendingupload",
  "downloading",
  "queued",
  "inprogress",
  "ready",
  "error",
  "live-inprogress",
] as const;

/** The documented form of a download URL, once redacted. */
export function expectedDownloadUrl(type: DownloadType): string {
  return `https://customer-${PLACEHOLDERS.customerCode}.cloudflarestream.com/${PLACEHOLDERS.video}/downloads/${DOWNLOAD_TYPE_TABLE[type].fileName}`;
}

/**
 * What a call was, for comparing its answer: the provider's calls, one kind each. `videos` is the video list
 * filtered by id, with which the provider reads many videos in one request.
 */
export type CallKind = "video" | "videos" | "list" | "create" | "delete";

/** One difference in shape between the live answer and the emulator's, for one call. */
export interface ShapeDifference {
  /** A JSON path into the call's `result`, e.g. `$.default.percentComplete`; ` (form)` for a create's form. */
  path: string;
  /** What the live answer has there, e.g. `a numeric string`, `absent`. */
  live: string;
  /** What the emulator's answer has there. */
  emulator: string;
}

/** The form of a create's result. */
export type PostForm = "keyed by type" | "single download" | "empty object" | "null" | "other";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isNumericString(value: string): boolean {
  return value.trim() !== "" && Number.isFinite(Number(value));
}

/** The JSON type of a value: `number`, `string`, `boolean`, `null`, `object` or `array`. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** A value's type in words, without its value: `a number`, `a numeric string`, `an object`, `absent`. */
export function describeType(value: unknown): string {
  if (value === undefined) return "absent";
  if (typeof value === "string") return isNumericString(value) ? "a numeric string" : "a string";
  const kind = kindOf(value);
  if (kind === "null") return "null";
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

/** The form of a create's `result`: keyed by type, the single download, `{}`, `null`, or something else. */
export function postForm(result: unknown): PostForm {
  if (result === null) return "null";
  if (!isObject(result)) return "other";
  const keys = Object.keys(result);
  if (keys.length === 0) return "empty object";
  if (keys.some((k) => (DOWNLOAD_TYPES as readonly string[]).includes(k) && isObject(result[k])))
    return "keyed by type";
  if ("status" in result || "percentComplete" in result || "url" in result) return "single download";
  return "other";
}

/** How to compare the values under one JSON path. */
interface Rules {
  /** Paths whose value the provider reads: `null` there is a difference like any other type. */
  read: ReadonlySet<string>;
  /** Paths compared only as "an object or not" (contents are the user's, e.g. `meta`). */
  opaque: ReadonlySet<string>;
}

const VIDEO_RULES: Rules = {
  read: new Set([
    "$",
    "$.uid",
    "$.readyToStream",
    "$.requireSignedURLs",
    "$.status",
    "$.status.state",
    "$.status.pctComplete",
    "$.status.errorReasonCode",
    "$.status.errorReasonText",
  ]),
  opaque: new Set(["$.meta"]),
};

/** The rules of a video under `path` (a listed video, `$[0]`): those of the video's own answer, moved there. */
function videoRulesAt(path: string): Rules {
  const at = (p: string) => path + p.slice(1);
  return { read: new Set([...VIDEO_RULES.read].map(at)), opaque: new Set([...VIDEO_RULES.opaque].map(at)) };
}

const DOWNLOAD_READ_KEYS = ["status", "percentComplete", "url"];

function downloadRules(path: string): Rules {
  return { read: new Set([path, ...DOWNLOAD_READ_KEYS.map((k) => `${path}.${k}`)]), opaque: new Set() };
}

/**
 * Compares two values' shapes under `path`: types, then keys of objects, recursively. `null` on one side is
 * not a difference where Cloudflare documents a field as nullable and the provider does not read it (a video's
 * `scheduledDeletion`, `watermark`...): there it is a value, not a shape. Arrays are compared as arrays only.
 */
function compareValues(live: unknown, emulator: unknown, path: string, rules: Rules, out: ShapeDifference[]): void {
  const liveKind = kindOf(live);
  const emulatorKind = kindOf(emulator);
  if (live === undefined || emulator === undefined || liveKind !== emulatorKind) {
    if (live === undefined && emulator === undefined) return;
    const nullable = (liveKind === "null" || emulatorKind === "null") && !rules.read.has(path);
    if (!nullable || live === undefined || emulator === undefined) {
      out.push({ path, live: describeType(live), emulator: describeType(emulator) });
    }
    return;
  }
  if (!isObject(live) || !isObject(emulator) || rules.opaque.has(path)) return;
  const keys = [...new Set([...Object.keys(live), ...Object.keys(emulator)])].sort();
  for (const key of keys) compareValues(live[key], emulator[key], `${path}.${key}`, rules, out);
}

/** Checks what the live side must be whatever the emulator says: a documented status, a documented URL. */
function checkDownload(
  live: unknown,
  emulator: unknown,
  path: string,
  type: DownloadType,
  out: ShapeDifference[],
): void {
  if (!isObject(live)) return;
  const status = live.status;
  if (typeof status === "string" && !(DOWNLOAD_STATUSES as readonly string[]).includes(status)) {
    out.push({
      path: `${path}.status`,
      live: `"${status}" (not a documented status: ${DOWNLOAD_STATUSES.join(", ")})`,
      emulator: isObject(emulator) && typeof emulator.status === "string" ? `"${emulator.status}"` : "absent",
    });
  }
  const url = live.url;
  if (typeof url === "string" && url !== expectedDownloadUrl(type)) {
    out.push({ path: `${path}.url`, live: `"${url}"`, emulator: `the documented form ${expectedDownloadUrl(type)}` });
  }
}

/** Compares one download entry (from a list, or a create's result). */
function compareDownload(
  live: unknown,
  emulator: unknown,
  path: string,
  type: DownloadType,
  out: ShapeDifference[],
): void {
  compareValues(live, emulator, path, downloadRules(path), out);
  checkDownload(live, emulator, path, type, out);
}

/** How a list says "no downloads": `{}`, `[]`, `null` or no result. */
function emptyForm(value: unknown): string {
  if (value === undefined) return "no result";
  if (value === null) return "null";
  return Array.isArray(value) ? "[]" : "{}";
}

/** Compares two `GET .../downloads` results, or two create results keyed by type. */
function compareDownloadList(live: unknown, emulator: unknown, out: ShapeDifference[]): void {
  if (isEmptyList(live) && isEmptyList(emulator)) {
    // Both say "no downloads", which the provider reads alike in every form; a form other than the emulator's
    // is still worth naming.
    if (emptyForm(live) !== emptyForm(emulator)) {
      out.push({
        path: "$",
        live: `no downloads as ${emptyForm(live)}`,
        emulator: `no downloads as ${emptyForm(emulator)}`,
      });
    }
    return;
  }
  if (!isObject(live) || !isObject(emulator)) {
    compareValues(live, emulator, "$", downloadRules("$"), out);
    return;
  }
  const keys = [...new Set([...Object.keys(live), ...Object.keys(emulator)])].sort();
  for (const key of keys) {
    const path = `$.${key}`;
    const type = DOWNLOAD_TYPES.find((t) => t === key);
    if (type === undefined || live[key] === undefined || emulator[key] === undefined) {
      compareValues(live[key], emulator[key], path, downloadRules(path), out);
    } else {
      compareDownload(live[key], emulator[key], path, type, out);
    }
  }
}

/** The download of `type` that a create's result describes, in each form that describes one. */
function createdDownload(result: unknown, form: PostForm, type: DownloadType): unknown {
  if (!isObject(result)) return undefined;
  if (form === "keyed by type") return result[type];
  if (form === "single download") return result;
  return undefined;
}

/**
 * Compares the shapes of two answers to the same call (both redacted).
 * @param kind which of the provider's calls it was
 * @param type the download type, for a create or a delete
 */
export function compareResults(
  kind: CallKind,
  live: unknown,
  emulator: unknown,
  type?: DownloadType,
): ShapeDifference[] {
  const out: ShapeDifference[] = [];
  switch (kind) {
    case "video":
      compareValues(live, emulator, "$", VIDEO_RULES, out);
      if (isObject(live) && isObject(live.status) && typeof live.status.state === "string") {
        const state = live.status.state;
        if (!(DOCUMENTED_VIDEO_STATES as readonly string[]).includes(state)) {
          out.push({
            path: "$.status.state",
            live: `"${state}" (not a documented state: ${DOCUMENTED_VIDEO_STATES.join(", ")})`,
            emulator: describeType(isObject(emulator) && isObject(emulator.status) ? emulator.status.state : undefined),
          });
        }
      }
      break;
    case "videos":
      compareVideoList(live, emulator, out);
      break;
    case "list":
      compareDownloadList(live, emulator, out);
      break;
    case "create": {
      const liveForm = postForm(live);
      const emulatorForm = postForm(emulator);
      if (liveForm !== emulatorForm) out.push({ path: "$ (form)", live: liveForm, emulator: emulatorForm });
      if (liveForm === "keyed by type" && emulatorForm === "keyed by type") {
        compareDownloadList(live, emulator, out);
      } else if (type !== undefined) {
        const liveDownload = createdDownload(live, liveForm, type);
        const emulatorDownload = createdDownload(emulator, emulatorForm, type);
        // Across forms, compare the download each describes (a keyed answer's entry with a single one).
        if (liveDownload !== undefined && emulatorDownload !== undefined) {
          const path = liveForm === "keyed by type" ? `$.${type}` : "$";
          compareDownload(liveDownload, emulatorDownload, path, type, out);
        }
      }
      break;
    }
    case "delete":
      compareValues(live, emulator, "$", { read: new Set(), opaque: new Set() }, out);
      break;
  }
  return out;
}

/** What the provider does when the video list cannot serve it: said with each difference that makes it so. */
export const VIDEO_LIST_FALLBACK = "the provider then reads each video with its own request";

/** The listed entry of the checked video (its uid redacted to the placeholder), with its index. */
function listedVideo(list: readonly unknown[]): { index: number; entry: unknown } | undefined {
  const index = list.findIndex((e) => isObject(e) && e.uid === PLACEHOLDERS.video);
  return index < 0 ? undefined : { index, entry: list[index] };
}

/**
 * Compares two answers of the video list filtered by id: the form (an array, as documented), whether the checked
 * video is in it, and its entry's shape as a video's own answer is compared. A form the provider cannot read, or a
 * list without the video, is named with what the provider does then.
 */
function compareVideoList(live: unknown, emulator: unknown, out: ShapeDifference[]): void {
  if (parseVideoList(live) === undefined || !Array.isArray(emulator)) {
    out.push({
      path: "$",
      live: `${describeType(live)}, not a list of videos (${VIDEO_LIST_FALLBACK})`,
      emulator: describeType(emulator),
    });
    return;
  }
  const mine = Array.isArray(live) ? listedVideo(live) : undefined;
  const theirs = listedVideo(emulator);
  if (mine === undefined) {
    out.push({
      path: "$",
      live: `no entry for the video (${VIDEO_LIST_FALLBACK}: a list may lag behind an upload)`,
      emulator: theirs === undefined ? "none either" : "its entry",
    });
    return;
  }
  const path = `$[${mine.index}]`;
  compareValues(mine.entry, theirs?.entry, path, videoRulesAt(path), out);
}

/** How a failed call of the video list differs from the emulator's answer (a failure is no end of the check). */
export function videoListFailure(status: number, emulator: unknown): ShapeDifference {
  const answer = status === 0 ? "no answer" : `HTTP ${status}`;
  return { path: "$", live: `failed (${answer}; ${VIDEO_LIST_FALLBACK})`, emulator: describeType(emulator) };
}

function downloadSummary(value: unknown): string {
  if (!isObject(value)) return describeType(value);
  const status = typeof value.status === "string" ? value.status : `status ${describeType(value.status)}`;
  const percent =
    value.percentComplete === undefined
      ? "no percentComplete"
      : `percentComplete ${describeType(value.percentComplete)}`;
  const url = typeof value.url === "string" ? "url" : `url ${describeType(value.url)}`;
  const extra = Object.keys(value).filter((k) => !DOWNLOAD_READ_KEYS.includes(k));
  return `${status} (${[percent, url, ...extra.map((k) => `+${k}`)].join(", ")})`;
}

function keyedSummary(value: Json): string {
  const entries = Object.entries(value).map(([type, d]) => `${type} ${downloadSummary(d)}`);
  return entries.length === 0 ? "{}" : entries.join("; ");
}

/** A video's readiness, state and signing, and how many keys it has. */
function videoSummary(result: unknown): string {
  if (!isObject(result)) return describeType(result);
  const status = isObject(result.status) ? result.status : {};
  const parts = [
    `readyToStream ${result.readyToStream === undefined ? "absent" : String(result.readyToStream)}`,
    `state ${typeof status.state === "string" ? status.state : describeType(status.state)}`,
    `pctComplete ${describeType(status.pctComplete)}`,
    `requireSignedURLs ${result.requireSignedURLs === undefined ? "absent" : String(result.requireSignedURLs)}`,
  ];
  return `${parts.join(", ")}; ${Object.keys(result).length} keys`;
}

/** A one-line summary of an answer's shape, for the line printed per call. */
export function summarize(kind: CallKind, result: unknown): string {
  switch (kind) {
    case "video":
      return `video: ${videoSummary(result)}`;
    case "videos": {
      if (!Array.isArray(result)) return `video list: ${describeType(result)}`;
      const mine = listedVideo(result);
      const entry = mine === undefined ? "the video not in it" : `the video: ${videoSummary(mine.entry)}`;
      return `video list: ${result.length} ${result.length === 1 ? "entry" : "entries"}, ${entry}`;
    }
    case "list":
      if (isEmptyList(result) && !isObject(result)) return `downloads: none (${emptyForm(result)})`;
      return `downloads: ${isObject(result) ? keyedSummary(result) : describeType(result)}`;
    case "create": {
      const form = postForm(result);
      if (form === "keyed by type" && isObject(result)) return `keyed by type: ${keyedSummary(result)}`;
      if (form === "single download") return `single download: ${downloadSummary(result)}`;
      return form === "other" ? `other: ${describeType(result)}` : form;
    }
    case "delete":
      return typeof result === "string" ? `${describeType(result)} "${result}"` : describeType(result);
  }
}
