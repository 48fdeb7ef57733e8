/**
 * The one waiting loop, and the two waits built on it: for a video to be ready to stream, and for a video's
 * downloads (to be ready, on create; to be settled, on refresh). The loop looks at the state; while something is
 * pending, it pauses until the polling policy's next look (poll-policy.ts) and reads again, until it is done, the
 * deadline passes or the wait is cancelled. A pause ends in a read only if the look is still due: what a wait
 * expects may be learned meanwhile (how fast the account generates, from another download of the process), and a
 * look planned before that is moved rather than spent. What a download's state means is download-state.ts's; how successive reads of
 * the downloads list combine, and when a download missing from it counts as gone, is this file's `DownloadList`.
 * The live check runs the same loop.
 */
import type { CloudflareClient } from "./client";
import type { Clock } from "./clock";
import { awaitsUrl, isUsable, phaseOf, progressOf, stateOf } from "./download-state";
import type { DownloadType } from "./download-types";
import { DownloadNotReadyError, videoFailed } from "./errors";
import type { GenerationRates } from "./generation-rates";
import { COMMON_CAUSES, label, seconds } from "./messages";
import type { LiveDownloads, LiveVideo } from "./parse";
import { nextLookAtForAll, type PollPolicy, type Track } from "./poll-policy";

export type { Track };

/** What one look at the state found: the wait's result, or what is still pending. */
export type Look<T> =
  | { done: T }
  | {
      /** What is known of each pending thing, which times the next look (and is asked again during a pause). */
      pending: readonly Track[];
      /** What is pending, for the status line. */
      progress?: string;
      /** A fixed pause before the next look, instead of the one the progress estimates. */
      nextLookMs?: number;
    };

/** One wait: where it starts, how it reads, how it looks, and how it ends early. */
export interface WaitLoop<S, T> {
  clock: Clock;
  poll: PollPolicy;
  /** When to stop waiting, epoch ms on `clock`. */
  deadline: number;
  /** Aborted when the wait must end early (Ctrl-C); a pause then ends at once. */
  signal?: AbortSignal;
  /** The state the wait starts from, already read. */
  initial: S;
  /** Reads the state again, after each pause. */
  read(): Promise<S>;
  /**
   * Asked when a look is due, before reading: another reading to wait for instead (one that will teach this wait
   * when to look), after which the look is planned again; undefined to read now.
   */
  hold?(): Promise<void> | undefined;
  /** Looks at a state: done, or what is pending. Throws to end the wait with an error. */
  look(state: S): Look<T>;
  /** The wait was cancelled with this state pending: its result, or throws. */
  cancelled(state: S): T;
  /** The deadline passed with this state pending: its result, or throws. */
  timedOut(state: S): T;
  /** Shows what is pending and when the next look is, at most once per `poll.progressLogIntervalMs`. */
  status?(progress: string, delayMs: number): void;
}

/**
 * Runs one wait: look; while pending and neither cancelled nor past the deadline, pause until the next look and
 * read again. When a pause ends before the look is due (the pending things now expect to take longer than when it
 * was planned), it pauses on instead of reading.
 */
export async function waitUntil<S, T>(loop: WaitLoop<S, T>): Promise<T> {
  const { clock, poll, deadline, signal } = loop;
  let state = loop.initial;
  let lastStatus = -Infinity;
  for (;;) {
    const look = loop.look(state);
    if ("done" in look) return look.done;
    const now = clock.now();
    if (signal?.aborted) return loop.cancelled(state);
    if (now >= deadline) return loop.timedOut(state);
    const fixed = look.nextLookMs;
    let lookAt = fixed !== undefined ? now + fixed : nextLookAtForAll(look.pending, now, poll);
    for (;;) {
      const at = clock.now();
      const delay = Math.max(0, Math.min(lookAt - at, deadline - at));
      if (loop.status && at - lastStatus >= poll.progressLogIntervalMs) {
        loop.status(look.progress ?? "", delay);
        lastStatus = at;
      }
      await pause(clock, delay, signal);
      if (fixed !== undefined || signal?.aborted || clock.now() >= deadline) break;
      // Planned again from what the pending things expect now: a look that moved later is not due yet.
      lookAt = nextLookAtForAll(look.pending, clock.now(), poll);
      if (look.pending.length > 0 && lookAt > clock.now()) continue;
      const held = loop.hold?.();
      if (held === undefined) break;
      await untilAborted(held, signal);
      lookAt = nextLookAtForAll(look.pending, clock.now(), poll);
    }
    state = await loop.read();
  }
}

/** Waits for `promise`, or less when `signal` aborts. */
function untilAborted(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done);
    void promise.then(done);
  });
}

/** Sleeps `ms` on the clock, or less when `signal` aborts. */
export function pause(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return untilAborted(clock.sleep(ms), signal);
}

/** What the waits of the operations use. */
export interface WaitContext {
  client: CloudflareClient;
  /** Reads a video, together with the other video reads of the process (video-reads.ts); as `client.getVideo`. */
  readVideo(accountId: string, videoId: string): Promise<LiveVideo>;
  /** How fast the accounts generate, learned by this process (generation-rates.ts); none: nothing is learned. */
  rates?: GenerationRates;
  clock: Clock;
  poll: PollPolicy;
  log: (line: string, kind?: "status") => void;
  signal?: AbortSignal;
}

/** One operation on one video: which video, and the operation's one deadline (epoch ms on the clock). */
export interface VideoJob {
  accountId: string;
  video: string;
  deadline: number;
  /** The deadline as the user set it, for messages. */
  readyTimeoutSeconds: number;
}

/** Reads of a list that may lag behind a create before a download missing from it counts as gone. */
export const MISSING_READS_BEFORE_GONE = 2;

/** Reads of the list in all, on refresh, while a download is `ready` without a URL: never record one without. */
export const URL_READS = 3;

/**
 * The downloads list of one video, as successive reads see it. The newest read wins for every type it lists; a
 * type it does not list keeps what the last read that listed it said (a list may lag), and counts one more miss;
 * `MISSING_READS_BEFORE_GONE` misses in a row make it gone.
 */
export class DownloadList {
  private current: LiveDownloads;
  private readonly misses = new Map<DownloadType, number>();
  /** Reads of the list taken so far. */
  reads = 0;

  /**
   * @param types the types watched
   * @param initial what is known before the next read: a read of the list (`fromRead`), or what create's answers said
   */
  constructor(
    readonly types: readonly DownloadType[],
    initial: LiveDownloads,
    fromRead: boolean,
  ) {
    this.current = { ...initial };
    if (fromRead) this.count(initial);
  }

  /** What the reads say now. */
  get live(): LiveDownloads {
    return this.current;
  }

  /** Takes a newer read of the list. */
  take(read: LiveDownloads): void {
    this.current = { ...this.current, ...read };
    this.count(read);
  }

  /** Whether reads in a row missed the type often enough to call it gone. */
  gone(type: DownloadType): boolean {
    return (this.misses.get(type) ?? 0) >= MISSING_READS_BEFORE_GONE;
  }

  /** Whether the latest read missed the type (it may still come back). */
  missed(type: DownloadType): boolean {
    return (this.misses.get(type) ?? 0) > 0;
  }

  private count(read: LiveDownloads): void {
    this.reads++;
    for (const type of this.types)
      this.misses.set(type, read[type] === undefined ? (this.misses.get(type) ?? 0) + 1 : 0);
  }
}

/**
 * Waits until the video is ready to stream; throws when it failed, the deadline passed or the wait was
 * cancelled (no download was created yet). `refusal` is the create's refusal that sent us here, if any.
 */
export async function waitForVideo(
  ctx: WaitContext,
  job: VideoJob,
  initial: LiveVideo,
  refusal?: Error,
): Promise<void> {
  const { accountId, video } = job;
  const { clock, log } = ctx;
  const first = { at: clock.now(), percent: initial.percentComplete ?? 0 };
  const track: Track = { first, latest: first };
  const where = (v: LiveVideo) => `state ${v.state ?? "unknown"}, ${track.latest.percent}%`;
  await waitUntil<LiveVideo, void>({
    ...ctx,
    deadline: job.deadline,
    initial,
    read: async () => {
      const current = await ctx.readVideo(accountId, video);
      track.latest = { at: clock.now(), percent: current.percentComplete ?? track.latest.percent };
      return current;
    },
    look: (current) => {
      if (current.readyToStream !== false) {
        log(`${label(video)}: the video is ready to stream; creating its downloads`);
        return { done: undefined };
      }
      if (current.state === "error") throw videoFailed(video, current);
      return { pending: [track], progress: where(current) };
    },
    cancelled: (current) => {
      throw new DownloadNotReadyError(
        `Cancelled while waiting for video ${video} to be ready to stream (${where(current)}); no download was ` +
          `created. Run pulumi up again to create them.`,
      );
    },
    timedOut: (current) => {
      throw new DownloadNotReadyError(
        `Video ${video} was still not ready to stream after ${job.readyTimeoutSeconds} s (${where(current)}), ` +
          `so its downloads could not be created${refusal ? ` (Cloudflare said: ${refusal.message})` : ""}. ` +
          `Raise readyTimeoutSeconds, or run pulumi up again later.`,
      );
    },
    status: (progress, delay) =>
      log(
        `${label(video)}: waiting for the video to be ready to stream (${progress}); next check in ${seconds(delay)}`,
        "status",
      ),
  });
}

/**
 * Polls the video's downloads until every tracked type is ready (usable); one GET serves all types. A download
 * that failed, or that reads in a row miss (deleted behind our back), fails the wait; a status Cloudflare does not
 * document counts as pending, and the deadline decides. When cancelled, returns the downloads as they are
 * (Cloudflare goes on generating them).
 *
 * Until a download's own progress has been read, its first look is timed by what the process learned of the
 * account's generation times (`ctx.rates`) for a video of `durationSeconds`; each reading in progress teaches it.
 *
 * @param tracks each type's progress: `first` when the wait for it began, at the percent then known
 * @param initial what the create's answers (and the list read before creating) said: not a read of the list
 * @param durationSeconds the video's length, when Cloudflare said
 */
export async function waitForDownloads(
  ctx: WaitContext,
  job: VideoJob,
  tracks: Map<DownloadType, Track>,
  initial: LiveDownloads,
  durationSeconds?: number,
): Promise<LiveDownloads> {
  const { accountId, video } = job;
  const { client, clock, log, rates } = ctx;
  const started = clock.now();
  const list = new DownloadList([...tracks.keys()], initial, false);
  if (rates) {
    for (const [type, track] of tracks) {
      // Learned from creation on; a download adopted part-way has that share left.
      track.expectedMs ??= () => {
        const total = rates.expectedMs(accountId, type, durationSeconds);
        return total === undefined ? undefined : (total * (100 - track.first.percent)) / 100;
      };
    }
  }
  const pendingIn = (live: LiveDownloads) => list.types.filter((t) => !isUsable(live[t]));
  const where = (live: LiveDownloads) =>
    pendingIn(live)
      .map((t) => `${t} ${stateOf(live[t])}`)
      .join(", ");
  /** The pending types with neither progress of their own nor an expected time: a look at them would be to learn. */
  const learning = (): DownloadType[] =>
    [...tracks]
      .filter(([type, t]) => !isUsable(list.live[type]) && !(t.latest.percent > t.first.percent))
      .filter(([, t]) => t.expectedMs?.() === undefined)
      .map(([type]) => type);
  return waitUntil<LiveDownloads, LiveDownloads>({
    ...ctx,
    deadline: job.deadline,
    initial,
    hold: () => (rates && learning().length > 0 ? rates.scouting(accountId) : undefined),
    read: async () => {
      // While nothing is learned of the account, this read is the one the others wait for (see `hold`).
      const toLearn = rates ? learning() : [];
      const scouted = rates && toLearn.length > 0 ? rates.scout(accountId) : undefined;
      let taughtNothing = false;
      try {
        list.take(await client.getDownloads(accountId, video));
        const at = clock.now();
        for (const [type, track] of tracks) {
          const d = list.live[type];
          if (list.missed(type)) continue;
          if (d?.percentComplete !== undefined) track.latest = { at, percent: d.percentComplete };
          if (phaseOf(d) !== "pending") continue;
          const reading = {
            accountId,
            type,
            videoId: video,
            durationSeconds,
            first: track.first,
            latest: track.latest,
          };
          const taught = rates?.learn(reading) ?? false;
          // A download in progress whose progress teaches nothing (coarse, or too little yet).
          if (!taught && toLearn.includes(type)) taughtNothing = true;
        }
        return list.live;
      } finally {
        scouted?.(taughtNothing);
      }
    },
    look: (live) => {
      for (const type of list.types) {
        const d = live[type];
        if (list.gone(type)) {
          throw new DownloadNotReadyError(
            `The ${type} download of video ${video} disappeared while being generated: Cloudflare's list of the ` +
              `video's downloads no longer has it. ${COMMON_CAUSES} Run pulumi up again to create it.`,
          );
        }
        if (phaseOf(d) === "failed") {
          throw new DownloadNotReadyError(
            `Cloudflare could not generate the ${type} download of video ${video}: it ended in status "error" at ` +
              `${d?.percentComplete ?? 0}%. Check the video plays in the Stream dashboard, then run pulumi up again.`,
          );
        }
      }
      const pending = pendingIn(live);
      if (pending.length === 0) {
        log(`${label(video)}: ${list.types.join(" and ")} ready after ${seconds(clock.now() - started)}`);
        return { done: live };
      }
      // A type the last read missed is looked for again soon, as refresh does: a list that lags shows it again,
      // and one that does not makes it gone; neither should wait for the others' estimates.
      const missed = list.types.some((t) => list.missed(t));
      return {
        pending: pending.flatMap((t) => tracks.get(t) ?? []),
        progress: pending.map((t) => `${t} ${progressOf(live[t])}`).join(", "),
        ...(missed ? { nextLookMs: ctx.poll.secondLookMs } : {}),
      };
    },
    cancelled: (live) => {
      log(
        `${label(video)}: cancelled; recording ${where(live)} as it is now. Cloudflare goes on generating; ` +
          `pulumi refresh reads the final state.`,
      );
      return live;
    },
    timedOut: (live) => {
      throw new DownloadNotReadyError(
        `Timed out after ${job.readyTimeoutSeconds} s waiting for the downloads of video ${video}: ` +
          `${where(live)}. Raise readyTimeoutSeconds (or set waitForReady: false), then run pulumi up again.`,
      );
    },
    status: (progress, delay) =>
      log(`${label(video)}: generating ${progress}; next check in ${seconds(delay)}`, "status"),
  });
}

/**
 * Reads the video's downloads for refresh, as often as it takes to settle what each of `types` is, and no more:
 * one read when the list shows every type with its URL. A type the list misses is read again after
 * `poll.secondLookMs` (a list that lags can miss a download once) until it is gone; a `ready` download without a
 * URL is read again after `poll.firstPollMs`, at most `URL_READS` reads in all. Waits for nothing else: a download
 * in progress is recorded as it is.
 *
 * @param types the types to settle; undefined on import: every type the first read lists
 * @returns what the reads say, and which of the types are gone
 */
export async function settleDownloads(
  ctx: WaitContext,
  job: Pick<VideoJob, "accountId" | "video">,
  types: readonly DownloadType[] | undefined,
): Promise<{ live: LiveDownloads; types: readonly DownloadType[]; gone: DownloadType[] }> {
  const { accountId, video } = job;
  const { client, clock, poll, log } = ctx;
  const first = await client.getDownloads(accountId, video);
  const watched = types ?? (Object.keys(first) as DownloadType[]);
  const list = new DownloadList(watched, first, true);
  const live = await waitUntil<LiveDownloads, LiveDownloads>({
    clock,
    poll,
    deadline: Infinity,
    initial: first,
    read: async () => {
      list.take(await client.getDownloads(accountId, video));
      return list.live;
    },
    look: (live) => {
      const missing = watched.filter((t) => list.missed(t) && !list.gone(t));
      const urlless = list.reads < URL_READS ? watched.filter((t) => !list.missed(t) && awaitsUrl(live[t])) : [];
      if (missing.length === 0 && urlless.length === 0) return { done: live };
      if (missing.length > 0) {
        log(
          `${label(video)}: the list of downloads does not show ${missing.join(" and ")}; reading it again in ` +
            `${seconds(poll.secondLookMs)} before calling ${missing.length > 1 ? "them" : "it"} gone`,
          "status",
        );
      }
      return { pending: [], nextLookMs: missing.length > 0 ? poll.secondLookMs : poll.firstPollMs };
    },
    cancelled: (live) => live,
    timedOut: (live) => live,
  });
  return { live, types: watched, gone: watched.filter((t) => list.gone(t)) };
}
