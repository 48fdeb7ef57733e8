/**
 * The retry decision, in one function: which failures retry, how long to wait, when to stop.
 *
 * Two kinds of waiting, kept apart:
 * - a failed attempt (5xx, timeout, lost connection, a 429 with `Retry-After`) counts against `maxAttempts`
 *   and waits `Retry-After` or an exponential backoff;
 * - a block (a 429 without `Retry-After`: Cloudflare refuses every call of the token for up to five minutes)
 *   does not count: the token is probed with one request at growing intervals (`blockProbeFirstMs` doubled up to
 *   `blockProbeMaxMs`) until the block ends, and only time decides when to give up: the resource's deadline, but
 *   never before `maxBlockMs` (one whole block) from the first 429.
 */
import { AuthenticationError, CloudflareApiError, NetworkError, RateLimitedError, RequestTimeoutError } from "./errors";

/** How the client retries one request. */
export interface RetryPolicy {
  /** Attempts in all, the first included; blocks (429 without `Retry-After`) are not counted. @default 5 */
  maxAttempts: number;
  /** Backoff before the first retry, doubled each time. @default 500 */
  baseDelayMs: number;
  /** Upper bound of computed backoff. @default 8000 */
  maxDelayMs: number;
  /**
   * Longest `Retry-After` the client will sit out. Cloudflare blocks a token for five minutes
   * once it passes its limit, so the default covers one block; a longer ask fails at once.
   * @default 330000
   */
  maxRetryAfterMs: number;
  /** The first probe of a block (a 429 without `Retry-After`) comes this long after it. @default 10000 */
  blockProbeFirstMs: number;
  /** Later probes double the interval up to this. @default 30000 */
  blockProbeMaxMs: number;
  /**
   * The least time a request sits out a block, from its first 429: one five-minute block and a probe after it.
   * A resource's later deadline extends it; refresh and delete, which have none, wait this long. @default 330000
   */
  maxBlockMs: number;
}

/** The defaults: close to Cloudflare's SDK, with more attempts because a deployment is long-lived. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 330_000,
  blockProbeFirstMs: 10_000,
  blockProbeMaxMs: 30_000,
  maxBlockMs: 330_000,
};

/** What the policy knows about the attempt that just failed. */
export interface RetryContext {
  /** What the attempt threw. */
  error: unknown;
  /** The attempt that failed, counting from 1, blocks included. */
  attempt: number;
  /** How many of the attempts so far were answered with a block (429 without `Retry-After`), this one included. */
  blocks: number;
  /**
   * How many probes in a row of the token (any request of it) met the block: sets the probe interval, so that
   * the token's probes space out whichever request sends them. @default blocks
   */
  streak?: number;
  /** Now, on the client's clock (ms). */
  now: number;
  /** When this request's first block answer came, if one did. */
  blockedSince?: number;
  /** The resource's deadline (ms, client clock), if it has one. */
  deadline?: number;
  /** A source of [0, 1) for jitter. */
  random?: () => number;
}

/** The decision: retry after `delayMs`, or give up. */
export type RetryDecision =
  | { retry: true; delayMs: number; block: boolean }
  | { retry: false; reason: "not retriable" | "attempts" | "retry-after too long" | "block outlasted the deadline" };

/** Statuses that say "try again later" rather than "this request is wrong". */
function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** A 429 without `Retry-After`: by Cloudflare's documents, the token is blocked for up to five minutes. */
export function isBlock(error: unknown): boolean {
  return error instanceof RateLimitedError && error.retryAfterMs === undefined;
}

/** The wait before the `blocks`-th probe of a block: `blockProbeFirstMs`, doubled each time, capped. */
export function blockProbeDelayMs(blocks: number, policy: RetryPolicy): number {
  return Math.min(policy.blockProbeMaxMs, policy.blockProbeFirstMs * 2 ** Math.max(0, blocks - 1));
}

/**
 * Decides whether and when to retry. `Retry-After` wins over computed backoff; errors we do not recognise (bugs)
 * never retry.
 */
export function retryDecision(ctx: RetryContext, policy: RetryPolicy): RetryDecision {
  const { error, now } = ctx;
  if (error instanceof AuthenticationError) return { retry: false, reason: "not retriable" };
  const transient =
    error instanceof NetworkError ||
    error instanceof RequestTimeoutError ||
    (error instanceof CloudflareApiError && (isRetriableStatus(error.status) || isMalformed(error)));
  if (!transient) return { retry: false, reason: "not retriable" };

  if (isBlock(error)) {
    const delayMs = blockProbeDelayMs(Math.max(ctx.blocks, ctx.streak ?? 0), policy);
    // At least one whole block is sat out (even past a short deadline, or in a rollback after it); a later
    // deadline of the resource keeps probing until then.
    const giveUpAt = Math.max(ctx.deadline ?? 0, (ctx.blockedSince ?? now) + policy.maxBlockMs);
    return now + delayMs <= giveUpAt
      ? { retry: true, delayMs, block: true }
      : { retry: false, reason: "block outlasted the deadline" };
  }

  if (ctx.attempt - ctx.blocks >= policy.maxAttempts) return { retry: false, reason: "attempts" };
  let delayMs: number;
  if (error instanceof CloudflareApiError && error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > policy.maxRetryAfterMs) return { retry: false, reason: "retry-after too long" };
    delayMs = error.retryAfterMs;
  } else {
    delayMs = backoffDelayMs(ctx.attempt - ctx.blocks, policy, ctx.random);
  }
  return { retry: true, delayMs, block: false };
}

/**
 * The computed wait after the `failures`-th failed attempt (1, 2...): `baseDelayMs` doubled each time, capped at
 * `maxDelayMs`, less up to 25 % jitter so that parallel resources do not retry in lockstep.
 */
export function backoffDelayMs(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - 1));
  return Math.round(backoff * (1 - 0.25 * random()));
}

/** A 2xx whose body was not a Cloudflare envelope (truncated or not JSON): the answer was lost in transit. */
function isMalformed(error: CloudflareApiError): boolean {
  return error.status < 300 && error.errors.length === 0;
}

/**
 * Parses `Retry-After` (seconds, or an HTTP date) into milliseconds from `now`.
 * Returns undefined when the header is absent or unreadable.
 */
export function parseRetryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
