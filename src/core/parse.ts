/**
 * The one place where what Cloudflare sends becomes our types. Every reader accepts each shape the published
 * documents allow, and the ones where they disagree, ignores fields it does not know, and never turns a shape
 * it did not expect into a fact about the world: a reader that cannot tell says "unknown" (undefined), and
 * the caller decides from the documented source of truth, the `GET .../downloads` list.
 *
 * Where the documents disagree (see the reference notes): the legacy `POST .../downloads` result is the single
 * download in the API reference and an object keyed by type in the Go reference and the TypeScript SDK; the
 * type-specific `POST .../downloads/{type}` has no published result at all. `percentComplete` is a number in
 * the schema and `status.pctComplete` a string; both are read either way.
 */
import { DOWNLOAD_TYPES, type DownloadType } from "./wire";

/** One download as far as Cloudflare told us. */
export interface LiveDownload {
  /** Lowercase, as sent; `unknown` when Cloudflare sent none. What it means is decided in download-state.ts. */
  status: string;
  /** 0 to 100, or undefined when not sent or not a number. */
  percentComplete?: number;
  /** Where the file is served, when Cloudflare sent one. */
  url?: string;
}

/** The downloads of a video: a type is present once it was created, whatever its state. */
export type LiveDownloads = Partial<Record<DownloadType, LiveDownload>>;

/** What this package reads of a video. */
export interface LiveVideo {
  /** True or false when Cloudflare said; else derived from `status.state`; undefined when neither says. */
  readyToStream?: boolean;
  /** `status.state`, lowercase, when sent. */
  state?: string;
  /** `status.pctComplete`, 0 to 100, when sent (as a string or a number). */
  percentComplete?: number;
  /** `status.errorReasonCode` and `errorReasonText`, joined, when the video failed. */
  errorReason?: string;
  /** Whether playback and downloads need a signed token; false when the field is absent (its default). */
  requireSignedURLs: boolean;
  /** `duration`, in seconds, once Cloudflare knows it; undefined while it sends -1 ("unknown") or nothing usable. */
  durationSeconds?: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A number, or a string that is one (not blank: `Number("")` is 0); NaN for anything else. */
function parseNumber(value: unknown): number {
  return typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
}

/** A percentage from a number or a numeric string, clamped to 0-100; undefined when it is neither. */
export function parsePercent(value: unknown): number | undefined {
  const n = parseNumber(value);
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : undefined;
}

function parseString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** The longest status kept; a longer one is no status Cloudflare would send, and would fill state and logs. */
const MAX_STATUS_CHARS = 64;
/** The longest part of a video's error reason kept (its code, its text). */
const MAX_REASON_CHARS = 300;

/** A status, lowercase; `unknown` when absent, not a string, too long or with control characters. */
function parseStatus(value: unknown): string {
  const status = parseString(value)?.toLowerCase();
  // eslint-disable-next-line no-control-regex
  if (status === undefined || status.length > MAX_STATUS_CHARS || /[\u0000-\u001f\u007f]/.test(status)) {
    return "unknown";
  }
  return status;
}

/** A text cut to `max` characters, marked when cut. */
function cut(text: string | undefined, max: number): string | undefined {
  return text !== undefined && text.length > max ? `${text.slice(0, max)}… (cut)` : text;
}

/**
 * A download URL: an absolute `https:` (or `http:`) URL. Anything else (`"null"`, a path, `ftp:`, `javascript:`)
 * is no URL: a `ready` download without one is read again rather than recorded.
 */
function parseUrl(value: unknown): string | undefined {
  const text = parseString(value);
  if (text === undefined) return undefined;
  try {
    const { protocol } = new URL(text);
    // An http(s) URL always has a host (the URL parser refuses one without): the scheme is the whole test.
    return protocol === "https:" || protocol === "http:" ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an object looks like one download (rather than downloads keyed by type). */
function looksLikeDownload(value: Json): boolean {
  return "status" in value || "percentComplete" in value || "url" in value || "percent_complete" in value;
}

/** Reads one download entry. Present in a list but not an object, it still exists: its status is `unknown`. */
export function parseDownload(value: unknown): LiveDownload {
  if (!isObject(value)) return { status: "unknown" };
  const download: LiveDownload = { status: parseStatus(value.status) };
  const percent = parsePercent(value.percentComplete ?? value.percent_complete);
  if (percent !== undefined) download.percentComplete = percent;
  const url = parseUrl(value.url);
  if (url !== undefined) download.url = url;
  return download;
}

/**
 * Reads the `GET .../downloads` result, the truth about which downloads exist. No downloads may come in any
 * empty form: `{}`, `[]`, `null`, or no `result` at all (undefined); the documents rule none of them out, and
 * each can only mean "none". Returns undefined when the result cannot be read as a list at all (a number, a
 * string, a boolean, a non-empty array): the caller reports it, and it is never read as "no downloads".
 */
export function parseDownloadList(result: unknown): LiveDownloads | undefined {
  if (isEmptyList(result)) return {};
  if (!isObject(result)) return undefined;
  const downloads: LiveDownloads = {};
  for (const type of DOWNLOAD_TYPES) {
    if (result[type] !== undefined && result[type] !== null) downloads[type] = parseDownload(result[type]);
  }
  return downloads;
}

/** Whether a value is a collection with nothing in it, in any form: absent, `null`, `{}` or `[]`. */
export function isEmptyList(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isObject(value) && Object.keys(value).length === 0;
}

/**
 * Reads a create's result as a hint about the download of `type`: keyed by type, the single download, `{}`,
 * `null` or a string. Undefined when it says nothing about that type, or says `error`; never a statement that it
 * does not exist, nor that it failed.
 */
export function parseCreateHint(result: unknown, type: DownloadType): LiveDownload | undefined {
  if (!isObject(result)) return undefined;
  const entry = hintEntry(result, type);
  const hint = entry === undefined ? undefined : parseDownload(entry);
  // A failure is a fact the list states: a create's answer saying "error" ends no wait and is never recorded.
  return hint?.status === "error" ? undefined : hint;
}

/** The part of a create's result about `type`: its key, or the whole result when that is a single download. */
function hintEntry(result: Json, type: DownloadType): unknown {
  if (isObject(result[type])) return result[type];
  if (DOWNLOAD_TYPES.some((t) => t in result)) return undefined; // keyed, but not by this type
  return looksLikeDownload(result) ? result : undefined;
}

/** Reads the `GET /stream/{identifier}` result; every field may be absent or of either documented type. */
export function parseVideo(result: unknown): LiveVideo {
  const video: LiveVideo = { requireSignedURLs: false };
  if (!isObject(result)) return video;
  const status = isObject(result.status) ? result.status : {};
  const state = parseString(status.state)?.toLowerCase();
  if (state !== undefined) video.state = state;
  if (typeof result.readyToStream === "boolean") video.readyToStream = result.readyToStream;
  else if (state !== undefined) video.readyToStream = state === "ready";
  const percent = parsePercent(status.pctComplete);
  if (percent !== undefined) video.percentComplete = percent;
  const reason = [parseString(status.errorReasonCode), parseString(status.errorReasonText)]
    .map((part) => cut(part, MAX_REASON_CHARS))
    .filter(Boolean)
    .join(": ");
  if (reason) video.errorReason = reason;
  video.requireSignedURLs = result.requireSignedURLs === true || result.requireSignedURLs === "true";
  const duration = parseDuration(result.duration);
  if (duration !== undefined) video.durationSeconds = duration;
  return video;
}

/** A duration in seconds from a number or a numeric string; undefined for -1 (unknown), negatives and the rest. */
function parseDuration(value: unknown): number | undefined {
  const n = parseNumber(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The longest uid kept from a list; Cloudflare's are 32 hex characters. */
const MAX_UID_CHARS = 64;

/**
 * Reads the result of `GET /accounts/{id}/stream` (the video list, documented as an array of videos), each entry
 * as `parseVideo` reads a single video, keyed by its `uid`. Every empty form (`[]`, `{}`, `null`, no `result`) is
 * a list with no video. An entry without a usable uid is skipped (the caller reads that video on its own, as it
 * does any video the list does not show); the first entry of a uid wins. Returns undefined when the result is not
 * a list at all (an object with entries, a string, a number): the caller reads each video on its own.
 */
export function parseVideoList(result: unknown): Map<string, LiveVideo> | undefined {
  if (isEmptyList(result)) return new Map();
  if (!Array.isArray(result)) return undefined;
  const videos = new Map<string, LiveVideo>();
  for (const entry of result) {
    if (!isObject(entry)) continue;
    const uid = parseString(entry.uid);
    if (uid === undefined || uid.length > MAX_UID_CHARS || videos.has(uid)) continue;
    videos.set(uid, parseVideo(entry));
  }
  return videos;
}
