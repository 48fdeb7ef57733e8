/**
 * The waiting policy, in one place: when to look again at something Cloudflare is generating.
 *
 * Cloudflare has no webhook for download readiness; the API reports `percentComplete`. A fixed-interval
 * poller either hammers the API or notices readiness late. Instead we estimate the finish time from the
 * progress seen so far and look again just after it, so a download that progresses steadily costs about
 * two reads, whatever its length. Where no progress is visible yet, we back off in proportion to the
 * time already waited.
 */

/** A progress reading: `percent` (0-100) seen at `at` (epoch ms). */
export interface Progress {
  at: number;
  percent: number;
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
  /** ...or this fraction of the estimated total time, whichever is larger. @default 0.02 */
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
  marginFraction: 0.02,
  progressLogIntervalMs: 5000,
  secondLookMs: 2000,
};

/**
 * How long to wait before looking again at one thing in progress.
 *
 * @param first the reading when tracking began (for a download we created: the create call, at 0 %)
 * @param latest the newest reading
 * @param now the current time, epoch ms
 */
export function nextPollDelayMs(first: Progress, latest: Progress, now: number, policy: PollPolicy): number {
  const elapsedMs = latest.at - first.at;
  const gained = latest.percent - first.percent;
  let delay: number;
  if (elapsedMs <= 0) {
    delay = policy.firstPollMs;
  } else if (gained > 0) {
    const finishAt = latest.at + ((100 - latest.percent) * elapsedMs) / gained;
    const margin = Math.max(policy.marginMs, policy.marginFraction * (finishAt - first.at));
    delay = finishAt + margin - now;
  } else {
    delay = Math.max(policy.firstPollMs, (now - first.at) / 2);
  }
  return Math.round(Math.min(policy.maxIntervalMs, Math.max(policy.minIntervalMs, delay)));
}

/** Progress of several things at once (e.g. both download types of a video): wait for the slowest. */
export function nextPollDelayForAllMs(
  tracks: Array<{ first: Progress; latest: Progress }>,
  now: number,
  policy: PollPolicy,
): number {
  if (tracks.length === 0) return policy.minIntervalMs;
  return Math.max(...tracks.map((t) => nextPollDelayMs(t.first, t.latest, now, policy)));
}
