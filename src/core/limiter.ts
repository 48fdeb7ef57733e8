/**
 * Keeps every request of one provider process inside Cloudflare's rate limits.
 *
 * Cloudflare allows 1200 requests per 5 minutes per token and 200 per second per IP, and once a token
 * passes its limit, ALL of its calls are blocked for five minutes. One limiter per token is shared by
 * every resource in the process, so a large `pulumi up` queues instead of tripping the block.
 */

/** One sliding window: at most `requests` sent in any `windowMs`. */
export interface RateWindow {
  requests: number;
  windowMs: number;
}

/** What the limiter enforces. */
export interface RateBudget {
  /** Sliding windows, all enforced at once. */
  windows: RateWindow[];
  /** Requests in flight at once. */
  maxConcurrent: number;
}

/**
 * The default budget: 1000 of Cloudflare's 1200 requests per 5 minutes (leaving room for the dashboard and
 * other tools that share the token), 50 per second, 8 in flight.
 */
export const DEFAULT_RATE_BUDGET: RateBudget = {
  windows: [
    { requests: 1000, windowMs: 300_000 },
    { requests: 50, windowMs: 1000 },
  ],
  maxConcurrent: 8,
};

/** The clock a limiter waits on; injected so tests need not wait in real time. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A FIFO gate in front of the network: `acquire` waits for a free slot in every window. */
export class RequestLimiter {
  private readonly sent: number[][];
  private inFlight = 0;
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();
  private released: (() => void) | undefined;
  /** Requests let through so far. */
  granted = 0;
  /** Total milliseconds callers spent waiting for a slot. */
  waitedMs = 0;

  constructor(
    readonly budget: RateBudget = DEFAULT_RATE_BUDGET,
    private readonly clock: Clock = systemClock,
  ) {
    this.sent = budget.windows.map(() => []);
  }

  /** Waits for a slot, in arrival order; call the returned function when the request is done. */
  async acquire(): Promise<() => void> {
    const start = this.clock.now();
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn;
    await turn;
    this.waitedMs += this.clock.now() - start;
    this.granted++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight--;
      const wake = this.released;
      this.released = undefined;
      wake?.();
    };
  }

  /** Holds every request back until `epochMs`: Cloudflare said it is blocking this token. */
  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      if (this.pausedUntil > now) {
        await this.clock.sleep(this.pausedUntil - now);
        continue;
      }
      const waitMs = this.windowWaitMs(now);
      if (waitMs > 0) {
        await this.clock.sleep(waitMs);
        continue;
      }
      if (this.inFlight >= this.budget.maxConcurrent) {
        await new Promise<void>((resolve) => (this.released = resolve));
        continue;
      }
      for (const log of this.sent) log.push(now);
      this.inFlight++;
      return;
    }
  }

  /** How long until every window has room; 0 when they all have room now. */
  private windowWaitMs(now: number): number {
    let wait = 0;
    this.budget.windows.forEach((window, i) => {
      const log = this.sent[i] ?? [];
      while (log.length > 0 && (log[0] ?? 0) <= now - window.windowMs) log.shift();
      if (log.length >= window.requests) {
        wait = Math.max(wait, (log[0] ?? now) + window.windowMs - now);
      }
    });
    return wait;
  }
}

// A string key, not a Symbol: Pulumi's closure serializer cannot capture symbols.
const REGISTRY = "__pulumiCloudflareStreamDownloadLimiters";

/**
 * The limiter shared by every client of one token and endpoint in this process. It lives on `globalThis`
 * so that every copy of the provider in the process (Pulumi deserializes one per distinct provider text)
 * shares it, and so that closure serialization never captures it.
 *
 * @param key identifies the token and endpoint; a fingerprint, never the token itself
 */
export function sharedLimiter(key: string, budget: RateBudget = DEFAULT_RATE_BUDGET): RequestLimiter {
  const holder = globalThis as { [REGISTRY]?: Map<string, RequestLimiter> };
  const limiters = (holder[REGISTRY] ??= new Map<string, RequestLimiter>());
  const existing = limiters.get(key);
  if (existing && JSON.stringify(existing.budget) === JSON.stringify(budget)) return existing;
  const limiter = new RequestLimiter(budget);
  limiters.set(key, limiter);
  return limiter;
}
