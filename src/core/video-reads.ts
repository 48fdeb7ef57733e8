/**
 * Gathering video reads: the reads of videos that arrive together in one provider process (every resource of a
 * stack runs in one, both faces) are served by one request to the video list, `GET /accounts/{id}/stream?id=...`,
 * instead of one `GET /stream/{id}` each. A stack of 300 resources then spends 3 requests on its video reads
 * instead of 300, of a quota of 1,200 per 5 minutes that the whole token shares.
 *
 * What it promises:
 * - each caller gets its own video, read as `getVideo` reads it, or the error its own read would have thrown;
 * - the first read waits at most `windowMs` (on the injected clock) for others to join; a batch that reaches
 *   `batchSize` ids goes at once;
 * - a batch's request takes its ids only when it leaves: while it waits for the rate limiter (which, in a large
 *   stack, holds it behind the other resources' requests), reads that arrive join it, up to `batchSize`; a batch
 *   that leaves with one id reads that video on its own (the same one request, and no list lag);
 * - a video the list does not show is read on its own (`GET /stream/{id}`): the list may lag behind an upload,
 *   and only the video's own 404 says it is gone;
 * - when the list call fails, is refused or answers in a shape that is not a list, every caller of that batch
 *   reads its video on its own, and this gatherer stops using the list for that account for the rest of the
 *   process, saying so once in a log line. Reading on its own is what the provider did before: never worse.
 */
import { MAX_LISTED_VIDEOS } from "./client";
import { CloudflareApiError, NetworkError, RequestTimeoutError, UnexpectedResponseError } from "./errors";
import { type Clock, systemClock } from "./clock";
import type { LiveVideo } from "./parse";

/** What the gatherer reads videos with: a `CloudflareClient` is one. */
export interface VideoSource {
  /**
   * Reads the videos of a batch with one request: `ids` is called once, when the request is about to leave (after
   * any wait for the rate limiter), and gives the batch's ids then. One id is read as `getVideo` reads it (its
   * errors are that video's); more, with the video list (a video it does not show is absent from the map).
   */
  readVideos(accountId: string, ids: () => readonly string[]): Promise<Map<string, LiveVideo>>;
  getVideo(accountId: string, videoId: string): Promise<LiveVideo>;
}

/** One read of one video. */
export interface VideoReadRequest {
  /** The caller's client: its own reads go through it (with its deadline), and the list when it opens a batch. */
  source: VideoSource;
  accountId: string;
  videoId: string;
  /** Where the line saying the list is no longer used goes, when this caller's batch is the one that found out. */
  log?: (line: string) => void;
  /** The caller's clock: the window of a batch this read opens runs on it. @default the gatherer's */
  clock?: Clock;
}

/** Settings of a gatherer. */
export interface VideoReadsOptions {
  clock?: Clock;
  /**
   * How long the first read of a batch waits for others to join, in ms. Pulumi starts the resources of a stack
   * within milliseconds of each other, and a provider's video read waits for far longer than this on the rate
   * limit and the network anyway. @default 50
   */
  windowMs?: number;
  /**
   * Ids per list request, at most. 100 ids make a URL of about 3.4 KB (33 characters per id, comma included):
   * within the 8 KB request line that common servers and proxies accept (Cloudflare's own URL limit is 16 KB),
   * while one request still serves a hundred resources. A larger batch saves little more: 300 resources take 3
   * requests instead of 1, of a 1,200-request quota. At most 1,000 (the list's `limit`). @default 100
   */
  batchSize?: number;
  /** Where the "no longer listing" line goes when the caller gave no `log`. @default nowhere */
  log?: (line: string) => void;
}

/** The defaults of `VideoReadsOptions`. */
export const DEFAULT_GATHER_WINDOW_MS = 50;
export const DEFAULT_VIDEO_BATCH_SIZE = 100;

/** Only Cloudflare-shaped ids go into a list request: one malformed id must not spoil the batch. */
const LISTABLE_ID = /^[0-9a-f]{32}$/;

interface Waiter {
  source: VideoSource;
  log?: (line: string) => void;
  resolve(video: LiveVideo): void;
  reject(error: unknown): void;
}

interface Batch {
  accountId: string;
  /** The callers, by video id, in arrival order. */
  waiters: Map<string, Waiter[]>;
  /** Its request was asked for (it may still wait for the rate limiter, taking reads until it leaves). */
  sent: boolean;
}

/** What a gatherer did, for progress output, the bench and tests. */
export interface VideoReadStats {
  /** List requests that answered. */
  listRequests: number;
  /** Videos served from a list answer. */
  listedVideos: number;
  /** Videos read on their own (`GET /stream/{id}`): alone in their batch, absent from the list, or after a failure. */
  ownReads: number;
}

/** Gathers video reads of one credential; batches are per account. One per process and credential: `sharedVideoReads`. */
export class VideoReads {
  readonly stats: VideoReadStats = { listRequests: 0, listedVideos: 0, ownReads: 0 };
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly batchSize: number;
  private readonly open = new Map<string, Batch>();
  private readonly unlisted = new Set<string>();

  constructor(private readonly options: VideoReadsOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.windowMs = options.windowMs ?? DEFAULT_GATHER_WINDOW_MS;
    this.batchSize = options.batchSize ?? DEFAULT_VIDEO_BATCH_SIZE;
    if (!(Number.isInteger(this.batchSize) && this.batchSize >= 1 && this.batchSize <= MAX_LISTED_VIDEOS)) {
      throw new RangeError(
        `VideoReads: batchSize must be an integer from 1 to ${MAX_LISTED_VIDEOS} (got ${this.batchSize})`,
      );
    }
    if (!(this.windowMs >= 0)) throw new RangeError(`VideoReads: windowMs must be >= 0 (got ${this.windowMs})`);
  }

  /** Whether the list is still used for this account (false once a list call of it failed). */
  listing(accountId: string): boolean {
    return !this.unlisted.has(accountId);
  }

  /** Reads one video, together with the reads that arrive with it. Rejects as `source.getVideo` would. */
  read(request: VideoReadRequest): Promise<LiveVideo> {
    const { source, accountId, videoId, log } = request;
    if (this.unlisted.has(accountId) || !LISTABLE_ID.test(videoId)) return this.ownRead(source, accountId, videoId);
    return new Promise<LiveVideo>((resolve, reject) => {
      let batch = this.open.get(accountId);
      if (batch === undefined) {
        const opened: Batch = { accountId, waiters: new Map(), sent: false };
        this.open.set(accountId, opened);
        batch = opened;
        void (request.clock ?? this.clock).sleep(this.windowMs).then(() => this.send(opened));
      }
      const waiters = batch.waiters.get(videoId) ?? [];
      waiters.push({ source, resolve, reject, ...(log ? { log } : {}) });
      batch.waiters.set(videoId, waiters);
      if (batch.waiters.size >= this.batchSize) {
        this.close(batch);
        void this.send(batch);
      }
    });
  }

  /**
   * Sends a batch (once): one request, whose ids are taken when it leaves (the video itself for one id, the list for
   * more); then an own read for each video a list answer does not show.
   */
  private async send(batch: Batch): Promise<void> {
    if (batch.sent) return;
    batch.sent = true;
    const { accountId, waiters } = batch;
    const opener = waiters.values().next().value?.[0];
    let listed = new Map<string, LiveVideo>();
    if (opener !== undefined && !this.unlisted.has(accountId)) {
      let ids: readonly string[] = [];
      try {
        listed = await opener.source.readVideos(accountId, () => (ids = this.seal(batch)));
        if (ids.length > 1) this.stats.listRequests++;
        else this.stats.ownReads++;
      } catch (error) {
        const [only] = ids;
        if (ids.length === 1 && only !== undefined) {
          // The video's own read: its failure (a 404 says it is gone) is its callers', not the list's.
          for (const caller of waiters.get(only) ?? []) caller.reject(error);
          return;
        }
        if (ids.length > 1) this.stopListing(accountId, error, opener.log ?? this.options.log);
      }
    }
    this.seal(batch);
    for (const [id, callers] of waiters) {
      const video = listed.get(id);
      if (video !== undefined && waiters.size > 1) this.stats.listedVideos++;
      const read = video !== undefined ? Promise.resolve(video) : this.ownRead(callers[0]?.source, accountId, id);
      // Each caller gets its own copy: no caller sees another's changes.
      for (const caller of callers) read.then((v) => caller.resolve({ ...v }), caller.reject);
    }
  }

  /** No more reads join the batch: new ones open another. */
  private close(batch: Batch): void {
    if (this.open.get(batch.accountId) === batch) this.open.delete(batch.accountId);
  }

  /** Takes the batch's ids, once: they are what its request lists, and nothing joins it after. */
  private seal(batch: Batch): readonly string[] {
    this.close(batch);
    return [...batch.waiters.keys()];
  }

  private ownRead(source: VideoSource | undefined, accountId: string, videoId: string): Promise<LiveVideo> {
    if (source === undefined) return Promise.reject(new Error("VideoReads: a batch without a caller"));
    this.stats.ownReads++;
    return source.getVideo(accountId, videoId);
  }

  private stopListing(accountId: string, error: unknown, log: ((line: string) => void) | undefined): void {
    if (this.unlisted.has(accountId)) return;
    this.unlisted.add(accountId);
    log?.(
      `cloudflare: reading videos with one request to the video list failed (${failureText(error)}); each video ` +
        `is read with its own request for the rest of this run, as before (one request per video instead of one ` +
        `per ${this.batchSize})`,
    );
  }
}

/** Why a list call failed, in words that carry no path (it holds ids) and no credential. */
export function failureText(error: unknown): string {
  if (error instanceof CloudflareApiError) {
    const first = error.errors[0];
    const said = first ? `: [${first.code}] ${first.message.slice(0, 200)}` : "";
    const rights =
      error.status === 401 || error.status === 403 ? "; the token may lack the right to list videos (Stream Read)" : "";
    return `Cloudflare answered ${error.status}${said}${rights}`;
  }
  if (error instanceof UnexpectedResponseError) return "Cloudflare's answer was not a list of videos";
  if (error instanceof RequestTimeoutError) return `the request timed out after ${error.timeoutMs} ms`;
  if (error instanceof NetworkError) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return `the connection failed${typeof code === "string" ? ` (${code})` : ""}`;
  }
  return error instanceof Error ? error.name : "an unknown failure";
}

// A string key, not a Symbol: Pulumi's closure serializer cannot capture symbols.
const REGISTRY = "__pulumiCloudflareStreamDownloadVideoReads";

/**
 * The gatherer shared by every client of one credential and endpoint in this process, on `globalThis` like the
 * shared limiter (every copy of the provider in the process shares it; closure serialization never captures it).
 * The first call's options make it.
 * @param key identifies the credential and endpoint: a fingerprint, never the credential itself
 */
export function sharedVideoReads(key: string, options: VideoReadsOptions = {}): VideoReads {
  const holder = globalThis as { [REGISTRY]?: Map<string, VideoReads> };
  const gatherers = (holder[REGISTRY] ??= new Map<string, VideoReads>());
  let gatherer = gatherers.get(key);
  if (gatherer === undefined) {
    gatherer = new VideoReads(options);
    gatherers.set(key, gatherer);
  }
  return gatherer;
}
