/**
 * Cloudflare's API rate limit: a fixed number of requests per window for each credential, and past it every
 * request of that credential is refused until a block period ends.
 */

/** How many requests a credential may make per window, and how long it is blocked once past the limit. */
export interface RateLimitConfig {
  limit: number;
  windowMs: number;
  blockMs: number;
  /**
   * Whether a 429 carries `Retry-After` (seconds until the block ends). Cloudflare's documents promise it; false
   * answers a block as a client must also expect it, without saying how long it lasts. @default true
   */
  retryAfter?: boolean;
}

/** One window of one credential as the emulator counted it. */
export interface RateWindowRecord {
  /** When the window started (emulator clock, ms). */
  start: number;
  /** Requests let through in it (those spent with `spend` included). */
  allowed: number;
  /** Requests refused with a 429 (during the block that followed it). */
  refused: number;
}

/** Windows kept per credential for `windows`. */
const HISTORY = 200;

/** Cloudflare's own numbers: 1200 requests per 5 minutes, then blocked for 5 minutes. */
export const CLOUDFLARE_RATE_LIMIT: RateLimitConfig = { limit: 1200, windowMs: 300_000, blockMs: 300_000 };

/** The outcome of counting one request: whether it may proceed and the headers to send either way. */
export interface RateLimitDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

interface Bucket {
  windowStart: number;
  count: number;
  blockedUntil: number;
  record: RateWindowRecord;
}

/** Buckets kept before stale ones are swept, so a long-running emulator does not grow without end. */
const SWEEP_THRESHOLD = 10_000;

/** Counts requests per credential key and decides when to answer 429. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly history = new Map<string, RateWindowRecord[]>();

  /** Counts one request of `key` at time `now` (ms) and returns the decision with its headers. */
  hit(key: string, now: number, config: RateLimitConfig): RateLimitDecision {
    const bucket = this.bucket(key, now, config);
    const policy = `"default";q=${config.limit};w=${Math.ceil(config.windowMs / 1000)}`;
    if (bucket.blockedUntil === 0) {
      bucket.count += 1;
      if (bucket.count <= config.limit) {
        bucket.record.allowed += 1;
        const reset = Math.max(0, Math.ceil((bucket.windowStart + config.windowMs - now) / 1000));
        return {
          allowed: true,
          headers: { Ratelimit: `"default";r=${config.limit - bucket.count};t=${reset}`, "Ratelimit-Policy": policy },
        };
      }
      bucket.blockedUntil = now + config.blockMs;
    }
    bucket.record.refused += 1;
    const retryAfter = Math.max(1, Math.ceil((bucket.blockedUntil - now) / 1000));
    const headers: Record<string, string> = { Ratelimit: `"default";r=0;t=${retryAfter}`, "Ratelimit-Policy": policy };
    if (config.retryAfter !== false) headers["Retry-After"] = String(retryAfter);
    return { allowed: false, headers };
  }

  /**
   * Counts `n` requests of `key` that another client of the same credential made (the dashboard, another tool):
   * they use up the window as if sent, without an answer. Past the limit, the block starts as it would for them.
   */
  spend(key: string, n: number, now: number, config: RateLimitConfig): void {
    const bucket = this.bucket(key, now, config);
    if (bucket.blockedUntil !== 0) return;
    const allowed = Math.min(n, Math.max(0, config.limit - bucket.count));
    bucket.count += n;
    bucket.record.allowed += allowed;
    if (bucket.count > config.limit) {
      bucket.record.refused += n - allowed;
      bucket.blockedUntil = now + config.blockMs;
    }
  }

  /** The windows of `key` counted so far (the latest `HISTORY`), oldest first. */
  windows(key: string): RateWindowRecord[] {
    return (this.history.get(key) ?? []).map((w) => ({ ...w }));
  }

  /** The bucket of `key` at `now`: a new one when the window (or the block) is over. */
  private bucket(key: string, now: number, config: RateLimitConfig): Bucket {
    if (this.buckets.size > SWEEP_THRESHOLD) this.sweep(now, config);
    let bucket = this.buckets.get(key);
    const blockOver = bucket !== undefined && bucket.blockedUntil > 0 && now >= bucket.blockedUntil;
    const windowOver = bucket !== undefined && bucket.blockedUntil === 0 && now >= bucket.windowStart + config.windowMs;
    if (!bucket || blockOver || windowOver) {
      const record: RateWindowRecord = { start: now, allowed: 0, refused: 0 };
      bucket = { windowStart: now, count: 0, blockedUntil: 0, record };
      this.buckets.set(key, bucket);
      const history = this.history.get(key) ?? [];
      history.push(record);
      if (history.length > HISTORY) history.shift();
      this.history.set(key, history);
    }
    return bucket;
  }

  /** Forgets every credential's count. */
  reset(): void {
    this.buckets.clear();
    this.history.clear();
  }

  private sweep(now: number, config: RateLimitConfig): void {
    for (const [key, b] of this.buckets) {
      const stale = b.blockedUntil > 0 ? now >= b.blockedUntil : now >= b.windowStart + config.windowMs;
      if (stale) {
        this.buckets.delete(key);
        this.history.delete(key);
      }
    }
  }
}
