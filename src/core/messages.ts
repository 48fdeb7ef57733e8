/**
 * The words the operations share: who a progress line is about, how a download's state reads in a message, and
 * the errors more than one step raises. Never a credential: messages name videos, types and states.
 */
import type { RetryNotice } from "./client";
import { DownloadNotReadyError, type NotFoundError } from "./errors";
import type { LiveDownload, LiveVideo } from "./read";
import type { DownloadType } from "./types";

/** What commonly removes a download behind Pulumi's back; said whenever one is found missing. */
export const COMMON_CAUSES =
  "Commonly another tool deleted it: the delete of a cloudflare.StreamDownload (or Terraform " +
  "cloudflare_stream_download) for the same video, for example when switching to this resource (see " +
  "docs/switching.md in the project's repository), the Stream dashboard, or a script; or the video " +
  "itself was deleted.";

/** A download's progress for a progress line: `42.1%` while in progress, else its status (`queued 0%`). */
export function progressOf(d: LiveDownload | undefined): string {
  if (d?.status === "inprogress" && d.percentComplete !== undefined) return `${d.percentComplete}%`;
  return stateOf(d);
}

/** A download's state for a message: `inprogress at 42%`, `ready (no URL yet)`, `(not listed yet)`. */
export function stateOf(d: LiveDownload | undefined): string {
  if (d === undefined) return "(not listed yet)";
  if (d.status === "ready" && d.url === undefined) return "ready (no URL yet)";
  return d.percentComplete === undefined ? d.status : `${d.status} at ${d.percentComplete}%`;
}

/** The error for a video that does not exist (or not in this account). */
export function videoNotFound(accountId: string, video: string, error: NotFoundError): Error {
  return new DownloadNotReadyError(
    `Video ${video} was not found in account ${accountId} (${error.message}). Check identifier and accountId; ` +
      `a video deleted in the dashboard cannot have downloads.`,
    { cause: error },
  );
}

/** The error for a video whose processing failed: it cannot have downloads. */
export function videoFailed(video: string, v: LiveVideo): Error {
  return new DownloadNotReadyError(
    `Video ${video} failed to process in Cloudflare Stream (state "error": ${v.errorReason ?? "no reason given"}), ` +
      `so it cannot have downloads. Upload it again and point identifier at the new video.`,
  );
}

/** Who a progress line is about: `StreamDownload <uid>` or `StreamDownload <uid> <type>`. */
export function label(video: string, type?: DownloadType): string {
  return `StreamDownload ${video}${type ? ` ${type}` : ""}`;
}

/** Milliseconds as seconds for a message: `7.4s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** One short line per retry: the request once, why the attempt failed, and when the next one goes. */
export function retryLine(n: RetryNotice): string {
  const wait = n.block ? "a block without Retry-After: every request of the token waits; " : "";
  return `cloudflare: ${n.method} ${n.path}: ${n.reason}; ${wait}attempt ${n.attempt + 1} in ${seconds(n.delayMs)}`;
}
