/**
 * The words the progress lines and errors share: who a line is about, durations, and what commonly removes a
 * download. (How a download's state reads is download-state.ts's; the errors are errors.ts's.) Never a
 * credential: messages name videos, types and states.
 */
import type { RetryNotice } from "./client";
import type { DownloadType } from "./download-types";

/** What commonly removes a download behind Pulumi's back; said whenever one is found missing. */
export const COMMON_CAUSES =
  "Commonly another tool deleted it: the delete of a cloudflare.StreamDownload (or Terraform " +
  "cloudflare_stream_download) for the same video, for example when switching to this resource (see " +
  "docs/switching.md in the project's repository), the Stream dashboard, or a script; or the video " +
  "itself was deleted.";

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
  const wait = n.block ? "every request of the token waits; " : "";
  return `cloudflare: ${n.method} ${n.path}: ${n.reason}; ${wait}attempt ${n.attempt + 1} in ${seconds(n.delayMs)}`;
}
