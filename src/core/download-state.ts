/**
 * What a download's state means, decided here and nowhere else: whether it is ready (its file can be fetched),
 * still pending, failed, or missing from the list; how it is recorded in state; and how it reads in a message.
 * Everything that waits, records or reports asks these functions.
 */
import type { LiveDownload } from "./parse";
import type { DownloadInfo } from "./types";

/**
 * Where a download stands:
 * - `missing`: the list of the video's downloads does not show it;
 * - `failed`: Cloudflare says `error`;
 * - `ready`: `ready` with a URL, so the file can be fetched;
 * - `pending`: anything else: `inprogress`, a status Cloudflare does not document, or `ready` without a URL yet.
 */
export type DownloadPhase = "missing" | "pending" | "ready" | "failed";

/** The phase of one download as read from Cloudflare (undefined: not listed). */
export function phaseOf(d: LiveDownload | undefined): DownloadPhase {
  if (d === undefined) return "missing";
  if (d.status === "error") return "failed";
  return isUsable(d) ? "ready" : "pending";
}

/** A download whose file can be fetched: `ready`, with a URL. Ready without a URL must be read again. */
export function isUsable(d: LiveDownload | undefined): d is LiveDownload & { url: string } {
  return d?.status === "ready" && d.url !== undefined;
}

/** Cloudflare says `ready` but sent no URL (yet): the one state worth reading again on refresh. */
export function awaitsUrl(d: LiveDownload | undefined): boolean {
  return d?.status === "ready" && d.url === undefined;
}

/**
 * The output of one download. A URL Cloudflare left out is the one it gave before (it is fixed per video and
 * type); a `ready` download that still has none is recorded as in progress, never as ready without a URL, and
 * its `url` is empty until Cloudflare sends one.
 */
export function toInfo(d: LiveDownload, prior?: DownloadInfo): DownloadInfo {
  const url = d.url ?? (prior?.url || undefined);
  const status = awaitsUrl({ ...d, url }) ? "inprogress" : d.status;
  const percentComplete = d.percentComplete ?? (status === "ready" ? 100 : (prior?.percentComplete ?? 0));
  return { status, percentComplete, url: url ?? "" };
}

/** A download's progress for a progress line: `42.1%` while in progress, else its state (`queued 0%`). */
export function progressOf(d: LiveDownload | undefined): string {
  if (d?.status === "inprogress" && d.percentComplete !== undefined) return `${d.percentComplete}%`;
  return stateOf(d);
}

/** A download's state for a message: `inprogress at 42%`, `ready (no URL yet)`, `(not listed yet)`. */
export function stateOf(d: LiveDownload | undefined): string {
  if (d === undefined) return "(not listed yet)";
  if (awaitsUrl(d)) return "ready (no URL yet)";
  return d.percentComplete === undefined ? d.status : `${d.status} at ${d.percentComplete}%`;
}
