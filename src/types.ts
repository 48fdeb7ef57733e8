/**
 * The plain values the provider sees: its inputs after `check`, and the outputs it writes to state.
 * (The public, `pulumi.Input`-wrapped args live in resource.ts; Cloudflare's wire shapes in wire.ts.)
 */
import type { DownloadType } from "./wire";

export type { DownloadType } from "./wire";
export { DOWNLOAD_TYPES } from "./wire";

/** Status of one download, as this package reports it. */
export type DownloadStatus = "ready" | "inprogress" | "error";

/** One managed download's live state. */
export interface DownloadInfo {
  /** `ready` once the file can be fetched from `url`. */
  status: DownloadStatus;
  /** Generation progress, 0 to 100. */
  percentComplete: number;
  /** Where the file is served; returned at once, it works once `status` is `ready`. */
  url: string;
}

/** Inputs after `check`: every default filled in. */
export interface StreamDownloadInputs {
  accountId: string;
  identifier: string;
  downloadTypes: DownloadType[];
  waitForReady: boolean;
  readyTimeoutSeconds: number;
}

/** What a StreamDownload records in state: its inputs, plus the live state of each managed type. */
export interface StreamDownloadOutputs extends StreamDownloadInputs {
  default?: DownloadInfo;
  audio?: DownloadInfo;
}

/** Default for `downloadTypes`. */
export const DEFAULT_DOWNLOAD_TYPES: DownloadType[] = ["default"];

/**
 * Default for `readyTimeoutSeconds`: 30 minutes. Generating an MP4 takes roughly as long as a fraction of the
 * video's duration; half an hour covers feature-length videos and a freshly uploaded video still encoding.
 */
export const DEFAULT_READY_TIMEOUT_SECONDS = 1800;
