/**
 * Keeps every request of one provider process inside Cloudflare's rate limits, together with every other client
 * of the same token.
 *
 * Cloudflare allows 1200 requests per 5 minutes per user (dashboard, API keys and tokens together) and 200 per
 * second per IP, and once past its limit, ALL calls are blocked for five minutes. Its answers say how much of the
 * quota is left (`Ratelimit: "default";r=<remaining>;t=<seconds to reset>`): that count is the one number every
 * client of the token shares, so following it keeps several processes (two `pulumi up`s, Terraform, a script)
 * under the limit together without a store of our own. One limiter per token is shared by every resource in the
 * process; it enforces, all at once:
 * - the server's count: never past `remaining` minus a reserve before the reset; near the reserve, after an idle
 *   second (the count may be stale: others spend too) and after the count resets, one request at a time, so the
 *   next answer brings a fresh count before more go out;
 * - the local budget (`windows`): this process's own cap, and all there is when the server sends no count; its
 *   5-minute window is Cloudflare's rate window, and follows the window answers announce (`Ratelimit-Policy`),
 *   so that against a server with another window the cap keeps its share of that server's quota;
 * - after a 429, a pause of every request of the token, then one request at a time until one gets through.
 */
import type { ServerQuota } from "./ratelimit-headers";
import { type Clock, systemClock } from "./clock";

/** One sliding window: at most `requests` sent in any `windowMs`. */
export interface RateWindow {
  requests: number;
  windowMs: number;
  /**
   * The window is the server's rate window (Cloudflare's 5 minutes): once an answer announces its window
   * (`Ratelimit-Policy: ...;w=<seconds>`), this one is that long. @default false
   */
  serverWindow?: boolean;
}

/** What the limiter enforces. */
export interface RateBudget {
  /** Sliding windows, all enforced at once. */
  windows: RateWindow[];
  /** Requests in flight at once. */
  maxConcurrent: number;
  /**
   * Of the server's quota, the share left for other clients and for requests in flight: the limiter waits for the
   * reset once `remaining` is down to it (60 of 1200). At least 1. @default 0.05
   */
  reserveFraction?: number;
  /** A server count older than this (ms) is refreshed by one request alone first. @default 1000 */
  freshMs?: number;
}

/**
 * The default budget: at most 1000 requests per 5 minutes of this process (the whole budget when Cloudflare sends
 * no count), 50 per second, 8 in flight; of the server's count, 5 % kept for others.
 */
export const DEFAULT_RATE_BUDGET: RateBudget = {
  windows: [
    { requests: 1000, windowMs: 300_000, serverWindow: true },
    { requests: 50, windowMs: 1000 },
  ],
  maxConcurrent: 8,
  reserveFraction: 0.05,
  freshMs: 1000,
};

/** A server count as this limiter keeps it. */
interface ServerCount {
  remaining: number;
  /** When the quota resets, on the limiter's clock. */
  resetAt: number;
  quota?: number;
  observedAt: number;
  /** Requests this process sent since (or had in flight at) the answer: not in `remaining` yet, for all we know. */
  spentSince: number;
}

/** Answers whose reset times differ by less than this belong to the same window (`t` is in whole seconds). */
const SAME_WINDOW_MS = 1500;

/** What the limiter is waiting for, for progress output and tests. */
export type LimiterWait = "pause" | "local budget" | "server count" | "in flight" | "one at a time";

/** A FIFO gate in front of the network: `acquire` waits for a free slot in every window. */
export class RequestLimiter {
  private readonly sent: number[][];
  /** Each window's length now: as budgeted, or for a server window, as the server announced it. */
  private readonly windowMs: number[];
  private inFlight = 0;
  private pausedUntil = 0;
  /** After a 429: one request at a time until an answer that is not a 429. */
  private probing = false;
  /** 429s in a row that met a probe (not those already in flight when the block began); 0 after any other answer. */
  blockStreak = 0;
  /**
   * Whether the server sends counts: unknown until the first answer (so the first request goes alone, and a new
   * process learns what others left before it sends more); then an unknown count (after a reset) is asked for
   * first too. A server that sends none leaves the local budget alone in charge.
   */
  private serverCounts: "unknown" | "yes" | "no" = "unknown";
  private readonly counts = new Map<string, ServerCount>();
  private queue: Promise<void> = Promise.resolve();
  private released: (() => void) | undefined;
  /** Requests let through so far. */
  granted = 0;
  /** Total milliseconds callers spent waiting for a slot. */
  waitedMs = 0;
  /** How often each reason held a request back (each wait counted once per reason met). */
  readonly waits: Record<LimiterWait, number> = {
    pause: 0,
    "local budget": 0,
    "server count": 0,
    "in flight": 0,
    "one at a time": 0,
  };

  constructor(
    readonly budget: RateBudget = DEFAULT_RATE_BUDGET,
    private readonly clock: Clock = systemClock,
  ) {
    this.sent = budget.windows.map(() => []);
    this.windowMs = budget.windows.map((w) => w.windowMs);
  }

  /** Requests let through and not done yet. */
  get active(): number {
    return this.inFlight;
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

  /**
   * Holds every request back until `epochMs`: Cloudflare said it is blocking this token. Then requests go one at
   * a time until one is answered with something other than a 429, so that no burst goes into a block.
   */
  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
    this.probing = true;
  }

  /**
   * Takes in what an answer said; call it before releasing the answer's slot. A 429 keeps the token on probation
   * (see `pauseUntil`); its count is not used (the block, not the count, decides). Any other answer ends the
   * probation, and its counts replace what the limiter knew (within one window the lower estimate is kept, as
   * answers may arrive out of order).
   */
  observe(status: number, quotas: readonly ServerQuota[]): void {
    const now = this.clock.now();
    if (status === 429) {
      if (now >= this.pausedUntil) this.blockStreak++;
      this.probing = true;
      return;
    }
    this.probing = false;
    this.blockStreak = 0;
    if (this.serverCounts === "unknown") this.serverCounts = quotas.length > 0 ? "yes" : "no";
    const announced = quotas.find((q) => q.windowMs !== undefined && q.windowMs > 0)?.windowMs;
    if (announced !== undefined) {
      this.budget.windows.forEach((w, i) => {
        if (w.serverWindow) this.windowMs[i] = announced;
      });
    }
    for (const quota of quotas) {
      this.serverCounts = "yes";
      const next: ServerCount = {
        remaining: quota.remaining,
        resetAt: now + quota.resetMs,
        quota: quota.quota,
        observedAt: now,
        spentSince: Math.max(0, this.inFlight - 1),
      };
      const current = this.counts.get(quota.name);
      const sameWindow = current !== undefined && Math.abs(current.resetAt - next.resetAt) < SAME_WINDOW_MS;
      if (current && now < current.resetAt && sameWindow && left(current) <= left(next)) {
        current.observedAt = now;
        continue;
      }
      this.counts.set(quota.name, next);
    }
  }

  /** The server's counts as the limiter estimates them now: requests left (ours not yet counted taken off). */
  serverEstimate(): Array<{ name: string; left: number; reserve: number; resetInMs: number }> {
    const now = this.clock.now();
    return [...this.counts]
      .filter(([, c]) => now < c.resetAt)
      .map(([name, c]) => ({ name, left: left(c), reserve: this.reserveOf(c), resetInMs: c.resetAt - now }));
  }

  private async waitForSlot(): Promise<void> {
    const met = new Set<LimiterWait>();
    const note = (reason: LimiterWait): void => {
      if (!met.has(reason)) this.waits[reason]++;
      met.add(reason);
    };
    for (;;) {
      const now = this.clock.now();
      if (this.pausedUntil > now) {
        note("pause");
        await this.clock.sleep(this.pausedUntil - now);
        continue;
      }
      const waitMs = this.windowWaitMs(now);
      if (waitMs > 0) {
        note("local budget");
        await this.clock.sleep(waitMs);
        continue;
      }
      if (this.inFlight >= this.budget.maxConcurrent) {
        note("in flight");
        await this.nextRelease();
        continue;
      }
      const server = this.serverGate(now);
      if (server.resetWaitMs > 0) {
        note("server count");
        await this.clock.sleep(server.resetWaitMs);
        continue;
      }
      if ((this.probing || server.alone) && this.inFlight > 0) {
        note("one at a time");
        await this.nextRelease();
        continue;
      }
      for (const log of this.sent) log.push(now);
      for (const count of this.counts.values()) count.spentSince++;
      this.inFlight++;
      return;
    }
  }

  /**
   * What the server's counts allow now: a wait until a reset when a count is down to its reserve; else whether the
   * next request must go alone (a count near its reserve, a stale count, or no count since the last reset).
   */
  private serverGate(now: number): { resetWaitMs: number; alone: boolean } {
    let resetWaitMs = 0;
    let alone = false;
    for (const [name, count] of this.counts) {
      if (now >= count.resetAt) {
        this.counts.delete(name);
        continue;
      }
      const reserve = this.reserveOf(count);
      const remaining = left(count);
      if (remaining <= reserve) resetWaitMs = Math.max(resetWaitMs, count.resetAt - now);
      else if (remaining <= reserve + 2 * this.budget.maxConcurrent) alone = true;
      else if (now - count.observedAt > (this.budget.freshMs ?? 1000)) alone = true;
    }
    if (this.serverCounts !== "no" && this.counts.size === 0) alone = true;
    return { resetWaitMs, alone };
  }

  /** The part of a count kept for other clients and requests in flight. */
  private reserveOf(count: ServerCount): number {
    const quota = count.quota ?? Math.max(count.remaining, ...this.budget.windows.map((w) => w.requests));
    return Math.max(1, Math.ceil(quota * (this.budget.reserveFraction ?? 0.05)));
  }

  private nextRelease(): Promise<void> {
    return new Promise<void>((resolve) => (this.released = resolve));
  }

  /** How long until every window has room; 0 when they all have room now. */
  private windowWaitMs(now: number): number {
    let wait = 0;
    this.budget.windows.forEach((window, i) => {
      const log = this.sent[i] ?? [];
      const windowMs = this.windowMs[i] ?? window.windowMs;
      while (log.length > 0 && (log[0] ?? 0) <= now - windowMs) log.shift();
      if (log.length >= window.requests) {
        wait = Math.max(wait, (log[0] ?? now) + windowMs - now);
      }
    });
    return wait;
  }
}

/** Requests left of a count, ours not yet counted by the server taken off. */
function left(count: ServerCount): number {
  return count.remaining - count.spentSince;
}

// A string key, not a Symbol: Pulumi's closure serializer cannot capture symbols.
const REGISTRY = "__pulumiCloudflareStreamDownloadLimiters";

/**
 * The limiter shared by every client of one token and endpoint in this process. It lives on `globalThis`
 * so that every copy of the provider in the process (Pulumi deserializes one per distinct provider text)
 * shares it, and so that closure serialization never captures it.
 *
 * @param key identifies the token and endpoint; a fingerprint, never the token itself (`credentialKey`)
 * @param clock what a limiter made by this call waits on
 */
export function sharedLimiter(
  key: string,
  budget: RateBudget = DEFAULT_RATE_BUDGET,
  clock: Clock = systemClock,
): RequestLimiter {
  const holder = globalThis as { [REGISTRY]?: Map<string, RequestLimiter> };
  const limiters = (holder[REGISTRY] ??= new Map<string, RequestLimiter>());
  const existing = limiters.get(key);
  if (existing && JSON.stringify(existing.budget) === JSON.stringify(budget)) return existing;
  const limiter = new RequestLimiter(budget, clock);
  limiters.set(key, limiter);
  return limiter;
}
