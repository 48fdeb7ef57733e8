/**
 * Cloudflare's API rate limit: a fixed number of requests per window for each credential, and past it every
 * request of that credential is refused until a block period ends.
 */

/** How many requests a credential may make per window, and how long it is blocked once past the limit. */
export interface RateLimitConfig {
  limit: number;
  windowMs: number;
  blockMs: number;
}

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
}

/** Buckets kept before stale ones are swept, so a long-running emulator does not grow without end. */
const SWEEP_THRESHOLD = 10_000;

/** Counts requests per credential key and decides when to answer 429. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** Counts one request of `key` at time `now` (ms) and returns the decision with its headers. */
  hit(key: string, now: number, config: RateLimitConfig): RateLimitDecision {
    if (this.buckets.size > SWEEP_THRESHOLD) this.sweep(now, config);
    let bucket = this.buckets.get(key);
    const blockOver = bucket !== undefined && bucket.blockedUntil > 0 && now >= bucket.blockedUntil;
    const windowOver = bucket !== undefined && bucket.blockedUntil === 0 && now >= bucket.windowStart + config.windowMs;
    if (!bucket || blockOver || windowOver) {
      bucket = { windowStart: now, count: 0, blockedUntil: 0 };
      this.buckets.set(key, bucket);
    }
    const policy = `"default";q=${config.limit};w=${Math.ceil(config.windowMs / 1000)}`;
    if (bucket.blockedUntil === 0) {
      bucket.count += 1;
      if (bucket.count <= config.limit) {
        const reset = Math.max(0, Math.ceil((bucket.windowStart + config.windowMs - now) / 1000));
        return {
          allowed: true,
          headers: { Ratelimit: `"default";r=${config.limit - bucket.count};t=${reset}`, "Ratelimit-Policy": policy },
        };
      }
      bucket.blockedUntil = now + config.blockMs;
    }
    const retryAfter = Math.max(1, Math.ceil((bucket.blockedUntil - now) / 1000));
    return {
      allowed: false,
      headers: {
        Ratelimit: `"default";r=0;t=${retryAfter}`,
        "Ratelimit-Policy": policy,
        "Retry-After": String(retryAfter),
      },
    };
  }

  /** Forgets every credential's count. */
  reset(): void {
    this.buckets.clear();
  }

  private sweep(now: number, config: RateLimitConfig): void {
    for (const [key, b] of this.buckets) {
      const stale = b.blockedUntil > 0 ? now >= b.blockedUntil : now >= b.windowStart + config.windowMs;
      if (stale) this.buckets.delete(key);
    }
  }
}
