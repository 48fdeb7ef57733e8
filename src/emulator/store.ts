/**
 * The emulator's state: videos and their downloads per account. Progress is never driven by timers; every
 * state is computed from timestamps when asked, so a test can know exactly when a download became ready.
 */
import { randomBytes } from "node:crypto";
import type {
  DownloadType,
  WireDownload,
  WireDownloads,
  WireDownloadStatus,
  WireVideo,
  WireVideoState,
} from "../core/wire";
import { DOWNLOAD_TYPE_TABLE } from "../core/download-types";
import { DOWNLOAD_TYPES } from "../core/wire";

/** A download as the emulator stores it, with the timestamps (ms epoch) its state is computed from. */
export interface StoredDownload {
  type: DownloadType;
  createdAt: number;
  /** When it reaches `ready`; if `failAt` is set it never does, and this is when it would have. */
  readyAt: number;
  /** If set, the download ends in status `error` at that time, its percentComplete frozen. */
  failAt?: number;
}

/** A video as the emulator stores it. */
export interface StoredVideo {
  accountId: string;
  uid: string;
  createdAt: number;
  /**
   * Its creation time in microseconds, the order of the video list and of its cursor: `createdAt` x 1000, moved
   * on by one microsecond past the video created before it when both fall in the same millisecond, so that
   * every video has its own `created` (Cloudflare's carry microseconds too).
   */
  createdMicros: number;
  readyAt: number;
  /** The video's length, in seconds: its `duration` once ready, and its downloads' generation time and size. */
  durationSeconds: number;
  /** Processing failed: the video stays in state `error` and never becomes ready to stream. */
  failed: boolean;
  meta: Record<string, string>;
  /** Its downloads and playback need a signed token; the video view reports it. */
  requireSignedURLs: boolean;
  downloads: Map<DownloadType, StoredDownload>;
}

/** The settings the store reads at the moment it creates or shows something (they may change at run time). */
export interface StoreSettings {
  now: () => number;
  customerCode: string;
  generationMs: number;
  /** Added to `generationMs` for each second of the video's duration. */
  generationMsPerVideoSecond: number;
  videoReadyMs: number;
  /** The duration of a video created without one, in seconds. */
  videoDurationSeconds: number;
  /** Whether download URLs name Cloudflare's delivery host or the emulator's own delivery server. */
  downloadUrls: DownloadUrlHost;
}

/**
 * Where download URLs point: `"cloudflare"` writes Cloudflare's form,
 * `https://customer-<code>.cloudflarestream.com/<uid>/downloads/default.mp4`, which nothing here answers;
 * `"emulator"` writes the emulator's delivery server, `http://127.0.0.1:<port>/<uid>/downloads/default.mp4`.
 */
export type DownloadUrlHost = "cloudflare" | "emulator";

/** Every download URL host, for validation. */
export const DOWNLOAD_URL_HOSTS: readonly DownloadUrlHost[] = ["cloudflare", "emulator"];

/** What `createVideo` may set; the rest comes from the settings. */
export interface NewVideo {
  readyMs?: number;
  /** Seconds, > 0. @default the settings' `videoDurationSeconds` */
  durationSeconds?: number;
  failed?: boolean;
  meta?: Record<string, string>;
  requireSignedURLs?: boolean;
}

interface FailurePlan {
  remaining: number;
  types: ReadonlySet<DownloadType>;
  afterMs?: number;
}

/** Matches an account id or a video uid: 32 lowercase hex characters. */
export const HEX32 = /^[0-9a-f]{32}$/;

/** Bytes per second of video of each download type's file: an MP4 at about 2 Mbit/s, AAC audio at 128 kbit/s. */
const FILE_BYTES_PER_SECOND: Record<DownloadType, number> = { default: 250_000, audio: 16_000 };

/** The size of the uploaded video per second of it: 4,190,963 bytes for the default 12.5 s. */
const VIDEO_BYTES_PER_SECOND = 335_277;

/** Share of a video's processing time spent `queued` before it turns `inprogress`. */
const QUEUED_SHARE = 0.2;

/** Rounds a percentage to one decimal, as the emulator reports it. */
function percent(elapsed: number, total: number): number {
  if (total <= 0) return 100;
  const value = Math.min(100, Math.max(0, (elapsed / total) * 100));
  return Math.round(value * 10) / 10;
}

/** Tells whether a string is one of the download types. */
/** The status and progress of a stored download at time `at`. */
export function downloadState(d: StoredDownload, at: number): { status: WireDownloadStatus; percentComplete: number } {
  const total = d.readyAt - d.createdAt;
  if (d.failAt !== undefined) {
    if (at >= d.failAt)
      return { status: "error", percentComplete: Math.min(99.9, percent(d.failAt - d.createdAt, total)) };
    return { status: "inprogress", percentComplete: Math.min(99.9, percent(at - d.createdAt, total)) };
  }
  if (at >= d.readyAt) return { status: "ready", percentComplete: 100 };
  return { status: "inprogress", percentComplete: percent(at - d.createdAt, total) };
}

/** Videos and downloads of every account, with the views the API returns. */
export class StreamStore {
  private readonly accounts = new Map<string, Map<string, StoredVideo>>();
  private failurePlans: FailurePlan[] = [];
  private lastCreatedMicros = -Infinity;

  /** @param deliveryOrigin the emulator's delivery server, for `downloadUrls: "emulator"` */
  constructor(
    private readonly settings: StoreSettings,
    private readonly deliveryOrigin: () => string = () => "http://127.0.0.1",
  ) {}

  /** Creates a video and returns it; `readyMs` defaults to the current `videoReadyMs`. */
  createVideo(accountId: string, opts: NewVideo = {}): StoredVideo {
    const createdAt = this.settings.now();
    const createdMicros = Math.max(createdAt * 1000, this.lastCreatedMicros + 1);
    this.lastCreatedMicros = createdMicros;
    const video: StoredVideo = {
      accountId,
      uid: randomBytes(16).toString("hex"),
      createdAt,
      createdMicros,
      readyAt: createdAt + (opts.readyMs ?? this.settings.videoReadyMs),
      durationSeconds: opts.durationSeconds ?? this.settings.videoDurationSeconds,
      failed: opts.failed ?? false,
      meta: opts.meta ?? {},
      requireSignedURLs: opts.requireSignedURLs ?? false,
      downloads: new Map(),
    };
    let videos = this.accounts.get(accountId);
    if (!videos) {
      videos = new Map();
      this.accounts.set(accountId, videos);
    }
    videos.set(video.uid, video);
    return video;
  }

  /** The stored video, or undefined. */
  video(accountId: string, uid: string): StoredVideo | undefined {
    return this.accounts.get(accountId)?.get(uid);
  }

  /** Deletes a video and its downloads; returns false if there was none. */
  deleteVideo(accountId: string, uid: string): boolean {
    const videos = this.accounts.get(accountId);
    const deleted = videos?.delete(uid) ?? false;
    if (videos && videos.size === 0) this.accounts.delete(accountId);
    return deleted;
  }

  /** Every stored video of every account. */
  *allVideos(): IterableIterator<StoredVideo> {
    for (const videos of this.accounts.values()) yield* videos.values();
  }

  /** Every video of one account. */
  accountVideos(accountId: string): StoredVideo[] {
    return [...(this.accounts.get(accountId)?.values() ?? [])];
  }

  /** The video with this uid in any account (the delivery host knows no account; uids are unique), or undefined. */
  videoByUid(uid: string): StoredVideo | undefined {
    for (const videos of this.accounts.values()) {
      const video = videos.get(uid);
      if (video) return video;
    }
    return undefined;
  }

  /** Whether the video is ready to stream now (the precondition for creating downloads). */
  isReadyToStream(video: StoredVideo): boolean {
    return !video.failed && this.settings.now() >= video.readyAt;
  }

  /**
   * Adds a download of `type` to the video, replacing any existing one. A `ready` one is ready at once; any other
   * consumes a matching plan of `failNextDownloads`.
   */
  addDownload(video: StoredVideo, type: DownloadType, opts: { ready?: boolean } = {}): StoredDownload {
    const createdAt = this.settings.now();
    const { generationMs, generationMsPerVideoSecond } = this.settings;
    const generation = generationMs + Math.round(video.durationSeconds * generationMsPerVideoSecond);
    const download: StoredDownload = { type, createdAt, readyAt: opts.ready ? createdAt : createdAt + generation };
    if (!opts.ready) {
      const plan = this.failurePlans.find((p) => p.remaining > 0 && p.types.has(type));
      if (plan) {
        plan.remaining -= 1;
        download.failAt = createdAt + (plan.afterMs ?? this.settings.generationMs / 2);
        this.failurePlans = this.failurePlans.filter((p) => p.remaining > 0);
      }
    }
    video.downloads.set(type, download);
    return download;
  }

  /** Makes the next `count` downloads created of these types end in `error` after `afterMs`. */
  failNextDownloads(opts: { count?: number; types?: DownloadType[]; afterMs?: number }): void {
    const plan: FailurePlan = { remaining: opts.count ?? 1, types: new Set(opts.types ?? DOWNLOAD_TYPES) };
    if (opts.afterMs !== undefined) plan.afterMs = opts.afterMs;
    if (plan.remaining > 0) this.failurePlans.push(plan);
  }

  /** The public URL of a download, returned at once even while it is being generated. */
  downloadUrl(uid: string, type: DownloadType): string {
    const origin = this.settings.downloadUrls === "emulator" ? this.deliveryOrigin() : this.customerOrigin();
    return `${origin}/${uid}/downloads/${DOWNLOAD_TYPE_TABLE[type].fileName}`;
  }

  /** The file a download URL serves: its size in bytes (from the video's duration) and its content type. */
  downloadFile(video: StoredVideo, type: DownloadType): { bytes: number; contentType: string } {
    const bytes = Math.round(video.durationSeconds * FILE_BYTES_PER_SECOND[type]);
    return { bytes, contentType: DOWNLOAD_TYPE_TABLE[type].contentType };
  }

  /** One download as the API shows it now. */
  downloadView(video: StoredVideo, d: StoredDownload): WireDownload {
    return { ...downloadState(d, this.settings.now()), url: this.downloadUrl(video.uid, d.type) };
  }

  /** All downloads of a video as the API shows them now (`{}` when none). */
  downloadsView(video: StoredVideo): WireDownloads {
    const view: WireDownloads = {};
    for (const type of DOWNLOAD_TYPES) {
      const d = video.downloads.get(type);
      if (d) view[type] = this.downloadView(video, d);
    }
    return view;
  }

  /** The video as `GET /stream/{id}` shows it now, with the fields a real response carries. */
  videoView(video: StoredVideo): WireVideo {
    const at = this.settings.now();
    const origin = this.customerOrigin();
    const ready = this.isReadyToStream(video);
    const processing = video.readyAt - video.createdAt;
    const elapsed = at - video.createdAt;
    let state: WireVideoState;
    let pctComplete: string | undefined;
    if (video.failed) {
      state = "error";
    } else if (ready) {
      state = "ready";
      pctComplete = "100";
    } else if (elapsed < processing * QUEUED_SHARE) {
      state = "queued";
      pctComplete = "0";
    } else {
      state = "inprogress";
      const queued = processing * QUEUED_SHARE;
      pctComplete = String(Math.min(99.9, percent(elapsed - queued, processing - queued)));
    }
    const status: WireVideo["status"] = video.failed
      ? {
          state,
          errorReasonCode: "ERR_NON_VIDEO",
          errorReasonText: "The file was not recognized as a valid video file.",
        }
      : { state, errorReasonCode: "", errorReasonText: "" };
    if (pctComplete !== undefined) status.pctComplete = pctComplete;
    const created = microsTimestamp(video.createdMicros);
    return {
      uid: video.uid,
      creator: null,
      thumbnail: `${origin}/${video.uid}/thumbnails/thumbnail.jpg`,
      thumbnailTimestampPct: 0,
      readyToStream: ready,
      readyToStreamAt: ready ? new Date(video.readyAt).toISOString() : null,
      status,
      meta: { ...video.meta },
      created,
      modified: ready ? new Date(video.readyAt).toISOString() : created,
      scheduledDeletion: null,
      size: ready ? Math.round(video.durationSeconds * VIDEO_BYTES_PER_SECOND) : 0,
      preview: `${origin}/${video.uid}/watch`,
      allowedOrigins: [],
      requireSignedURLs: video.requireSignedURLs,
      uploaded: created,
      uploadExpiry: null,
      maxSizeBytes: null,
      maxDurationSeconds: null,
      duration: ready ? video.durationSeconds : -1,
      input: ready ? { width: 1920, height: 1080 } : { width: -1, height: -1 },
      playback: {
        hls: `${origin}/${video.uid}/manifest/video.m3u8`,
        dash: `${origin}/${video.uid}/manifest/video.mpd`,
      },
      watermark: null,
      clippedFrom: null,
      publicDetails: null,
    };
  }

  private customerOrigin(): string {
    return `https://customer-${this.settings.customerCode}.cloudflarestream.com`;
  }
}

/** An RFC 3339 UTC time with microseconds, e.g. `2026-11-28T10:00:00.000001Z`. */
export function microsTimestamp(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const extra = String(micros - ms * 1000).padStart(3, "0");
  return new Date(ms).toISOString().replace(/Z$/, `${extra}Z`);
}
