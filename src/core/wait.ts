/**
 * The one waiting loop, and the two waits built on it: for a video to be ready to stream, and for downloads to
 * be ready. The loop looks at the state; while something is pending, it pauses as the waiting policy says
 * (waiter.ts) and reads again, until it is done, the deadline passes or the wait is cancelled. What each wait
 * reads, and what counts as done, failed or pending, is its own `look`. The live check runs the same loop.
 */
import type { CloudflareClient } from "./client";
import { DownloadNotReadyError } from "./errors";
import type { Clock } from "./limiter";
import { COMMON_CAUSES, label, progressOf, seconds, stateOf, videoFailed } from "./messages";
import { isUsable, type LiveDownloads, type LiveVideo } from "./read";
import type { DownloadType, StreamDownloadInputs } from "./types";
import { nextPollDelayForAllMs, type PollPolicy, type Progress } from "./waiter";

/** What one look at the state found: the wait's result, or what is still pending. */
export type Look<T> =
  | { done: T }
  | {
      /** The progress of each pending thing, which times the next look. */
      pending: ReadonlyArray<{ first: Progress; latest: Progress }>;
      /** What is pending, for the status line. */
      progress?: string;
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
  /** Looks at a state: done, or what is pending. Throws to end the wait with an error. */
  look(state: S): Look<T>;
  /** The wait was cancelled with this state pending: its result, or throws. */
  cancelled(state: S): T;
  /** The deadline passed with this state pending: its result, or throws. */
  timedOut(state: S): T;
  /** Shows what is pending and when the next look is, at most once per `poll.progressLogIntervalMs`. */
  status?(progress: string, delayMs: number): void;
}

/** Runs one wait: look; while pending and neither cancelled nor past the deadline, pause and read again. */
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
    const delay = Math.min(nextPollDelayForAllMs([...look.pending], now, poll), deadline - now);
    if (loop.status && now - lastStatus >= poll.progressLogIntervalMs) {
      loop.status(look.progress ?? "", delay);
      lastStatus = now;
    }
    await pause(clock, delay, signal);
    state = await loop.read();
  }
}

/** Sleeps `ms` on the clock, or less when `signal` aborts. */
export function pause(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return clock.sleep(ms);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done);
    void clock.sleep(ms).then(done);
  });
}

/** What the waits of the operations use. */
export interface WaitContext {
  client: CloudflareClient;
  clock: Clock;
  poll: PollPolicy;
  log: (line: string, kind?: "status") => void;
  signal?: AbortSignal;
}

/** Reads of a list that may lag behind a create before a missing download counts as gone. */
export const MISSING_READS_BEFORE_GONE = 2;

/** The progress of one download being waited for, and how many reads in a row missed it. */
export type Track = { first: Progress; latest: Progress; missingReads: number };

/**
 * Waits until the video is ready to stream; throws when it failed, the deadline passed or the wait was
 * cancelled (no download was created yet). `refusal` is the create's refusal that sent us here, if any.
 */
export async function waitForVideo(
  ctx: WaitContext,
  inputs: StreamDownloadInputs,
  deadline: number,
  initial: LiveVideo,
  refusal?: Error,
): Promise<void> {
  const { accountId, identifier: video } = inputs;
  const { client, clock, log } = ctx;
  const first = { at: clock.now(), percent: initial.percentComplete ?? 0 };
  let latest = first;
  const where = (v: LiveVideo) => `state ${v.state ?? "unknown"}, ${latest.percent}%`;
  await waitUntil<LiveVideo, void>({
    ...ctx,
    deadline,
    initial,
    read: async () => {
      const current = await client.getVideo(accountId, video);
      latest = { at: clock.now(), percent: current.percentComplete ?? latest.percent };
      return current;
    },
    look: (current) => {
      if (current.readyToStream !== false) {
        log(`${label(video)}: the video is ready to stream; creating its downloads`);
        return { done: undefined };
      }
      if (current.state === "error") throw videoFailed(video, current);
      return { pending: [{ first, latest }], progress: where(current) };
    },
    cancelled: (current) => {
      throw new DownloadNotReadyError(
        `Cancelled while waiting for video ${video} to be ready to stream (${where(current)}); no download was ` +
          `created. Run pulumi up again to create them.`,
      );
    },
    timedOut: (current) => {
      throw new DownloadNotReadyError(
        `Video ${video} was still not ready to stream after ${inputs.readyTimeoutSeconds} s (${where(current)}), ` +
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
 * Polls the video's downloads until every tracked type is usable (ready, with a URL); one GET serves all
 * types. A status Cloudflare does not document counts as still in progress, and the deadline decides. When
 * cancelled, returns the downloads as they are (Cloudflare goes on generating them).
 */
export async function waitForDownloads(
  ctx: WaitContext,
  inputs: StreamDownloadInputs,
  tracks: Map<DownloadType, Track>,
  initial: LiveDownloads,
  deadline: number,
): Promise<LiveDownloads> {
  const { accountId, identifier: video } = inputs;
  const { client, clock, log } = ctx;
  const started = clock.now();
  const pendingIn = (live: LiveDownloads) => [...tracks.keys()].filter((t) => !isUsable(live[t]));
  const where = (live: LiveDownloads) =>
    pendingIn(live)
      .map((t) => `${t} ${stateOf(live[t])}`)
      .join(", ");
  return waitUntil<LiveDownloads, LiveDownloads>({
    ...ctx,
    deadline,
    initial,
    read: async () => {
      const live = await client.getDownloads(accountId, video);
      const at = clock.now();
      for (const [type, track] of tracks) {
        const d = live[type];
        track.missingReads = d === undefined ? track.missingReads + 1 : 0;
        if (d?.percentComplete !== undefined) track.latest = { at, percent: d.percentComplete };
      }
      return live;
    },
    look: (live) => {
      for (const [type, track] of tracks) {
        const d = live[type];
        if (d === undefined && track.missingReads >= MISSING_READS_BEFORE_GONE) {
          throw new DownloadNotReadyError(
            `The ${type} download of video ${video} disappeared while being generated: Cloudflare's list of the ` +
              `video's downloads no longer has it. ${COMMON_CAUSES} Run pulumi up again to create it.`,
          );
        }
        if (d?.status === "error") {
          throw new DownloadNotReadyError(
            `Cloudflare could not generate the ${type} download of video ${video}: it ended in status "error" at ` +
              `${d.percentComplete ?? 0}%. Check the video plays in the Stream dashboard, then run pulumi up again.`,
          );
        }
      }
      const pending = pendingIn(live);
      if (pending.length === 0) {
        log(`${label(video)}: ${[...tracks.keys()].join(" and ")} ready after ${seconds(clock.now() - started)}`);
        return { done: live };
      }
      return {
        pending: pending.flatMap((t) => tracks.get(t) ?? []),
        progress: pending.map((t) => `${t} ${progressOf(live[t])}`).join(", "),
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
        `Timed out after ${inputs.readyTimeoutSeconds} s waiting for the downloads of video ${video}: ` +
          `${where(live)}. Raise readyTimeoutSeconds (or set waitForReady: false), then run pulumi up again.`,
      );
    },
    status: (progress, delay) =>
      log(`${label(video)}: generating ${progress}; next check in ${seconds(delay)}`, "status"),
  });
}
