/**
 * The retry decision, in one function: which failures retry, how long to wait, when to stop.
 */
import { AuthenticationError, CloudflareApiError, NetworkError, RateLimitedError, RequestTimeoutError } from "./errors";

/** How the client retries one request. */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 5 */
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
}

/** The defaults: close to Cloudflare's SDK, with more attempts because a deployment is long-lived. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 330_000,
};

/** Statuses that say "try again later" rather than "this request is wrong". */
function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Returns how many milliseconds to wait before attempt `attempt + 1`, or undefined to give up.
 * `Retry-After` wins over computed backoff. Errors we do not recognise (bugs) never retry.
 *
 * @param error what the attempt threw
 * @param attempt the attempt that failed, counting from 1
 * @param random a source of [0, 1) for jitter
 */
export function retryDelayMs(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  if (error instanceof AuthenticationError) return undefined;

  const transient =
    error instanceof NetworkError ||
    error instanceof RequestTimeoutError ||
    (error instanceof CloudflareApiError && (isRetriableStatus(error.status) || isMalformed(error)));
  if (!transient) return undefined;

  if (error instanceof CloudflareApiError && error.retryAfterMs !== undefined) {
    return error.retryAfterMs <= policy.maxRetryAfterMs ? error.retryAfterMs : undefined;
  }
  if (error instanceof RateLimitedError) {
    // A 429 without Retry-After: Cloudflare's block lasts minutes, so back off hard.
    return policy.maxDelayMs;
  }
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // Up to 25 % jitter, subtracted, so that parallel resources do not retry in lockstep.
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
