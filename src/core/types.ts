/**
 * The plain values the provider sees: its inputs after `check`, and the outputs it writes to state.
 * (The public, `pulumi.Input`-wrapped args live in resource.ts; Cloudflare's wire shapes in wire.ts.)
 */
import type { DownloadType } from "./download-types";
import type { WireDownloadStatus } from "./wire";

export { DOWNLOAD_TYPES, type DownloadType } from "./download-types";

/**
 * Status of one download: `ready`, `inprogress` or `error` as Cloudflare documents them; any other status
 * Cloudflare may send is passed through as it came (and treated as still in progress).
 */
export type DownloadStatus = WireDownloadStatus | (string & {});

/** One managed download's live state. */
export interface DownloadInfo {
  /** `ready` once the file can be fetched from `url`. */
  status: DownloadStatus;
  /** Generation progress, 0 to 100. */
  percentComplete: number;
  /**
   * Where the file is served. Cloudflare returns it at once, and it works once `status` is `ready`; a `ready`
   * download always has it. Empty only while Cloudflare has not sent one yet (possible with `waitForReady: false`).
   */
  url: string;
  /**
   * The file's size in bytes (its `Content-Length`), read with a HEAD of `url` once the download is ready: what a
   * podcast feed's enclosure needs. The HEAD goes to Cloudflare's delivery host and costs none of the API's rate
   * limit. Absent while not ready, for a video that requires signed URLs (its URL answers 401 without a signed
   * token), and when the URL did not answer 2xx (the provider's output says why).
   * @unit bytes
   */
  sizeBytes?: number;
  /** The file's media type as its URL serves it (`video/mp4`, `audio/mp4`), read with the same HEAD; absent as `sizeBytes` is. */
  contentType?: string;
}

/** Inputs after `check`: every default filled in. */
export interface StreamDownloadInputs {
  accountId: string;
  identifier: string;
  downloadTypes: DownloadType[];
  waitForReady: boolean;
  readyTimeoutSeconds: number;
}

/** The live state of each managed download type, under the type's name (`default`, `audio`). */
export type DownloadOutputs = { [T in DownloadType]?: DownloadInfo };

/** What a StreamDownload records in state: its inputs, plus the live state of each managed type. */
export interface StreamDownloadOutputs extends StreamDownloadInputs, DownloadOutputs {
  /**
   * Whether the video requires signed URLs: then its download URLs answer 401 unless the uid in them is
   * replaced by a signed token that allows downloads (docs/signed-urls.md). Absent in state written before 0.2.
   */
  requireSignedURLs?: boolean;
}

/** Default for `downloadTypes`. */
export const DEFAULT_DOWNLOAD_TYPES: DownloadType[] = ["default"];

/**
 * Default for `readyTimeoutSeconds`: 30 minutes. Generating an MP4 takes roughly as long as a fraction of the
 * video's duration; half an hour covers feature-length videos and a freshly uploaded video still encoding.
 */
export const DEFAULT_READY_TIMEOUT_SECONDS = 1800;
