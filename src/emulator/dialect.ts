/**
 * Dialects: the ways the emulator can phrase the same state, for each reading of Cloudflare's documents we
 * cannot rule out. The store computes one canonical state; this module turns it into what goes on the wire.
 * Client code should read every dialect; a test picks one with the emulator's options.
 */
import type { DownloadType, WireDownload, WireVideo } from "../core/wire";
import { DOWNLOAD_TYPES } from "../core/wire";
import type { StoredDownload, StoredVideo } from "./store";

/**
 * The `result` of `POST .../downloads/{type}` and of the legacy `POST .../downloads`, whose published schemas
 * disagree:
 * - `"single"`: the one download created, `{ status, percentComplete, url }` (what Cloudflare's API reference
 *   page and its Node and Python references give for the legacy POST);
 * - `"keyed"`: every download of the video keyed by type, `{ default?, audio? }` (the Go reference and the
 *   TypeScript SDK's types);
 * - `"empty"`: `{}`, an answer that says nothing about the download.
 */
export type PostShape = "keyed" | "single" | "empty";

/** Every post shape, for validation and for tests that run in each. */
export const POST_SHAPES: readonly PostShape[] = ["keyed", "single", "empty"];

/**
 * How downloads report progress: `"smooth"` raises `percentComplete` from 0 to 100 over the generation time;
 * `"coarse"` keeps it at 0 until the download is ready (then 100), as an API that does not track progress
 * finely would.
 */
export type ProgressDialect = "smooth" | "coarse";

/** Every progress dialect. */
export const PROGRESS_DIALECTS: readonly ProgressDialect[] = ["smooth", "coarse"];

/**
 * How `GET .../downloads` says that a video has no downloads, which no published document shows:
 * - `"object"`: `{}`, the list with no key (the default);
 * - `"null"`: `"result": null`;
 * - `"absent"`: an envelope with no `result` at all;
 * - `"array"`: `[]`.
 */
export type EmptyListForm = "object" | "null" | "absent" | "array";

/** Every empty-list form, for validation and for tests that run in each. */
export const EMPTY_LIST_FORMS: readonly EmptyListForm[] = ["object", "null", "absent", "array"];

/**
 * How `GET /accounts/{id}/stream`, the video list, answers:
 * - `"array"`: the documented array of videos (the default);
 * - `"object"`: the same videos keyed by uid, a shape no document gives, which a reader must not take for the list;
 * - `"forbidden"`: 403, as for a token without the right to list videos.
 */
export type VideoListForm = "array" | "object" | "forbidden";

/** Every video list form, for validation and for tests that run in each. */
export const VIDEO_LIST_FORMS: readonly VideoListForm[] = ["array", "object", "forbidden"];

/** Variations of the video view (`GET .../stream/{id}`); each is off by default. */
export interface VideoDialect {
  /** `status.pctComplete` as a number (`42.5`) instead of Cloudflare's documented string (`"42.5"`). */
  pctCompleteAsNumber?: boolean;
  /** Leaves the `readyToStream` key out of the video. */
  omitReadyToStream?: boolean;
}

/** Variations of every download view (GET list and POST results); each is off by default. */
export interface DownloadDialect {
  /** `percentComplete` as a numeric string (`"42.5"`) instead of a number. */
  percentAsString?: boolean;
  /** Leaves `url` out of a download until it is ready. */
  omitUrlWhileInProgress?: boolean;
  /**
   * An undocumented status (e.g. `"queued"`) reported instead of `"inprogress"` during the first half of a
   * download's generation time.
   */
  extraStatus?: string;
}

/** One download as a dialect shows it: the documented `WireDownload`, or a variation of it. */
export interface DialectDownload {
  status: string;
  percentComplete: number | string;
  url?: string;
}

/**
 * The video as a dialect shows it. (A key-remapping mapped type rather than `Omit`, which would drop the
 * known keys of a type with an index signature.)
 */
export type DialectVideo = { [K in keyof WireVideo as Exclude<K, "readyToStream" | "status">]: WireVideo[K] } & {
  readyToStream?: boolean;
  status: Omit<WireVideo["status"], "pctComplete"> & { pctComplete?: string | number };
};

/** The dialect settings in force for one request (read from the emulator's options when it arrives). */
export interface Dialect {
  postShape: PostShape;
  progress: ProgressDialect;
  emptyList: EmptyListForm;
  video: VideoDialect;
  download: DownloadDialect;
  videoList: VideoListForm;
  /** The emulator's clock, in ms epoch. */
  now: number;
}

/** One download in the dialect, from its canonical view and the stored timestamps. */
export function presentDownload(dialect: Dialect, stored: StoredDownload, view: WireDownload): DialectDownload {
  const { download } = dialect;
  let status: string = view.status;
  let percent = view.percentComplete;
  if (dialect.progress === "coarse" && view.status !== "ready") percent = 0;
  const halfway = stored.createdAt + (stored.readyAt - stored.createdAt) / 2;
  if (download.extraStatus !== undefined && view.status === "inprogress" && dialect.now < halfway) {
    status = download.extraStatus;
  }
  const out: DialectDownload = { status, percentComplete: download.percentAsString ? String(percent) : percent };
  if (!download.omitUrlWhileInProgress || view.status === "ready") out.url = view.url;
  return out;
}

/** The downloads of a video keyed by type, in the dialect. */
export function presentDownloads(
  dialect: Dialect,
  video: StoredVideo,
  view: (d: StoredDownload) => WireDownload,
): Partial<Record<DownloadType, DialectDownload>> {
  const out: Partial<Record<DownloadType, DialectDownload>> = {};
  for (const type of DOWNLOAD_TYPES) {
    const d = video.downloads.get(type);
    if (d) out[type] = presentDownload(dialect, d, view(d));
  }
  return out;
}

/**
 * The `result` of `GET .../downloads`: the downloads keyed by type, or, when there are none, the dialect's
 * empty form (undefined leaves `result` out of the envelope).
 */
export function listResult(
  dialect: Dialect,
  keyed: Partial<Record<DownloadType, DialectDownload>>,
): Partial<Record<DownloadType, DialectDownload>> | [] | null | undefined {
  if (Object.keys(keyed).length > 0) return keyed;
  switch (dialect.emptyList) {
    case "object":
      return keyed;
    case "null":
      return null;
    case "absent":
      return undefined;
    case "array":
      return [];
  }
}

/**
 * The `result` of a successful create, in the dialect's post shape.
 * @param created the download the request created (or found), in the dialect
 * @param keyed every download of the video, in the dialect
 */
export function postResult(
  dialect: Dialect,
  created: DialectDownload,
  keyed: Partial<Record<DownloadType, DialectDownload>>,
): Partial<Record<DownloadType, DialectDownload>> | DialectDownload {
  switch (dialect.postShape) {
    case "keyed":
      return keyed;
    case "single":
      return created;
    case "empty":
      return {};
  }
}

/** The video in the dialect. */
export function presentVideo(dialect: Dialect, view: WireVideo): DialectVideo {
  const { pctComplete, ...status } = view.status;
  const out: DialectVideo = { ...view, status: { ...status } };
  if (pctComplete !== undefined) {
    out.status.pctComplete = dialect.video.pctCompleteAsNumber ? Number(pctComplete) : pctComplete;
  }
  if (dialect.video.omitReadyToStream) delete out.readyToStream;
  return out;
}
