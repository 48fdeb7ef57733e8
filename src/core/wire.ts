/**
 * Wire types: the JSON that crosses HTTP, with Cloudflare's own field names.
 * Shared by the client (which reads it) and the emulator (which writes it); nothing else should use them.
 */

import type { DownloadType } from "./download-types";

export { DOWNLOAD_TYPES, type DownloadType } from "./download-types";

/** The statuses Cloudflare documents for a download; what each means for us is decided in download-state.ts. */
export const DOWNLOAD_STATUSES = ["ready", "inprogress", "error"] as const;

/** The status Cloudflare reports for a generated download. */
export type WireDownloadStatus = (typeof DOWNLOAD_STATUSES)[number];

/** One download as `GET .../downloads` returns it. */
export interface WireDownload {
  status: WireDownloadStatus;
  /** Progress from 0 to 100. */
  percentComplete: number;
  url: string;
}

/** The downloads of a video: a key is present only once that type was created. */
export type WireDownloads = Partial<Record<DownloadType, WireDownload>>;

/** Processing states of a video, as `status.state` reports them. */
export type WireVideoState =
  "pendingupload" | "downloading" | "queued" | "inprogress" | "ready" | "error" | "live-inprogress";

/** The subset of a Stream video this project reads. */
export interface WireVideo {
  uid: string;
  readyToStream: boolean;
  status: {
    state: WireVideoState;
    /** Cloudflare sends the percentage as a string, e.g. "42.5". */
    pctComplete?: string;
    errorReasonCode?: string;
    errorReasonText?: string;
  };
  created?: string;
  meta?: Record<string, string>;
  [extra: string]: unknown;
}

/** One entry of an envelope's `errors` or `messages`. */
export interface WireMessage {
  code: number;
  message: string;
  documentation_url?: string;
  source?: { pointer?: string };
}

/** The v4 envelope around every response. `result` is null on failure. */
export interface WireEnvelope<T> {
  success: boolean;
  errors: WireMessage[];
  messages: WireMessage[];
  result: T | null;
}
