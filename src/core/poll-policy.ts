/**
 * The waiting policy, in one place: when to look again at something Cloudflare is generating.
 *
 * Cloudflare has no webhook for download readiness; the API reports `percentComplete`. A fixed-interval
 * poller either hammers the API or notices readiness late. Instead we estimate the finish time and look again
 * just after it:
 * - from the thing's own progress, once a reading shows some: a download that progresses steadily then costs
 *   about two reads, whatever its length;
 * - before that, from what is expected of it (for a download: how fast this account generated others in this
 *   process, for a video of this length; see generation-rates.ts): the first read then usually sees it ready;
 * - where neither can tell, we back off in proportion to the time already waited.
 * A plan is an instant on the clock, not a delay, so that a wait can plan again while it pauses (what is expected
 * may be learned meanwhile) without moving the look it already planned.
 */

/** A progress reading: `percent` (0-100) seen at `at` (epoch ms). */
export interface Progress {
  at: number;
  percent: number;
}

/** What is known of one thing being waited for. */
export interface Track {
  /** The reading when tracking began (for a download we created: the create call, at 0 %). */
  first: Progress;
  /** The newest reading. */
  latest: Progress;
  /**
   * How long the thing should take from `first` to its finish, in ms, as learned from others; asked anew at each
   * plan, since it may be learned while the wait pauses. Undefined, or returning undefined: nothing is known.
   */
  expectedMs?: () => number | undefined;
}

/** The knobs of the waiting policy. */
export interface PollPolicy {
  /** Wait before the first look, when nothing can be estimated yet. @default 1000 */
  firstPollMs: number;
  /** Shortest wait between two looks. @default 250 */
  minIntervalMs: number;
  /** Longest wait between two looks, a bound on how late readiness is noticed if an estimate is wrong. @default 60000 */
  maxIntervalMs: number;
  /** Slack added after the estimated finish, at least this... @default 100 */
  marginMs: number;
  /**
   * ...or this fraction of the estimated total time, whichever is larger. Readiness is noticed about this late; an
   * estimate that errs by more than it costs one more read. @default 0.01
   */
  marginFraction: number;
  /** Fewest milliseconds between two progress lines of one resource. @default 5000 */
  progressLogIntervalMs: number;
  /**
   * On refresh, the pause before reading the list of downloads a second time when it misses a managed download:
   * a list that lags (as just after a create) may miss it once, and refresh drops nothing on one look.
   * @default 2000
   */
  secondLookMs: number;
}

/** The default policy. */
export const DEFAULT_POLL_POLICY: PollPolicy = {
  firstPollMs: 1000,
  minIntervalMs: 250,
  maxIntervalMs: 60_000,
  marginMs: 100,
  marginFraction: 0.01,
  progressLogIntervalMs: 5000,
  secondLookMs: 2000,
};

/** The slack after an estimated finish, for something expected to take `totalMs` in all. */
function marginFor(totalMs: number, policy: PollPolicy): number {
  return Math.max(policy.marginMs, policy.marginFraction * totalMs);
}

/**
 * When to look again at one thing in progress, epoch ms: just after its finish as its own progress estimates it;
 * without progress yet, just after the finish expected of it, until a look after that finish found it still
 * going; else backing off. Never sooner than `minIntervalMs` nor later than `maxIntervalMs` after the newest
 * reading.
 */
export function nextLookAt(track: Track, policy: PollPolicy): number {
  const { first, latest } = track;
  const elapsedMs = latest.at - first.at;
  const gained = latest.percent - first.percent;
  let at: number;
  if (elapsedMs > 0 && gained > 0) {
    const finishAt = latest.at + ((100 - latest.percent) * elapsedMs) / gained;
    at = finishAt + marginFor(finishAt - first.at, policy);
  } else {
    const expected = track.expectedMs?.();
    if (expected !== undefined && expected > 0 && first.at + expected > latest.at) {
      at = first.at + expected + marginFor(expected, policy);
    } else {
      // Back off by half the time waited so far; the first look (nothing waited yet) after firstPollMs.
      at = latest.at + Math.max(policy.firstPollMs, elapsedMs / 2);
    }
  }
  const earliest = latest.at + policy.minIntervalMs;
  const latestAllowed = latest.at + policy.maxIntervalMs;
  return Math.round(Math.min(latestAllowed, Math.max(earliest, at)));
}

/** Several things read together (both download types of a video, one GET): look when the slowest should be done. */
export function nextLookAtForAll(tracks: readonly Track[], now: number, policy: PollPolicy): number {
  if (tracks.length === 0) return now + policy.minIntervalMs;
  return Math.max(...tracks.map((t) => nextLookAt(t, policy)));
}

/**
 * How long to wait, from `now`, before looking again at one thing in progress (`nextLookAt`, as a delay).
 *
 * @param first the reading when tracking began (for a download we created: the create call, at 0 %)
 * @param latest the newest reading
 * @param now the current time, epoch ms
 */
export function nextPollDelayMs(first: Progress, latest: Progress, now: number, policy: PollPolicy): number {
  return Math.max(0, nextLookAt({ first, latest }, policy) - now);
}

/** Progress of several things at once (e.g. both download types of a video): wait for the slowest. */
export function nextPollDelayForAllMs(tracks: readonly Track[], now: number, policy: PollPolicy): number {
  return Math.max(0, nextLookAtForAll(tracks, now, policy) - now);
}
