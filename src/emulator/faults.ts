/**
 * Fault injection: rules that make chosen requests fail in a chosen way, and seeded random failures that are
 * reproducible run after run. Faults act in front of the API, like a failing proxy or network.
 */

/** One way a request can fail. */
export type Fault =
  /** `body` is sent raw; without it, a Cloudflare envelope error for that status. */
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
  /** An HTML error page (Content-Type text/html), like a proxy in front of the API. */
  | { kind: "html"; status: number }
  /** The socket is destroyed without a response (connection reset). */
  | { kind: "reset" }
  /** No response ever, until the client gives up or the emulator closes. */
  | { kind: "hang" }
  /** 200 with a JSON content type and a truncated JSON body. */
  | { kind: "malformed" }
  /** 200 with `success: false` and one error. */
  | { kind: "successFalse" }
  /** Waits `ms`, then handles the request normally. */
  | { kind: "delay"; ms: number }
  /**
   * Handles the request normally (its state changes happen), then destroys the socket without sending the
   * response: the request worked, but its answer was lost.
   */
  | { kind: "dropResponse" }
  /**
   * Handles the request normally (its state changes happen), then answers 200 with `result` in a successful
   * envelope instead of the API's own: an answer in a shape no dialect gives (null, a string, an array).
   */
  | { kind: "rewriteResult"; result: unknown }
  /** 429 with `Retry-After: retryAfterSeconds`; without the header when absent (a block of unknown length). */
  | { kind: "rateLimited"; retryAfterSeconds?: number };

/** Which requests a fault applies to, and how often. */
export interface FaultRule {
  /**
   * Which server: the API, or the delivery server that serves download files (where the kinds that act on API
   * envelopes, `malformed`, `successFalse`, `rewriteResult` and `dropResponse`, do not apply). @default "api"
   */
  on?: FaultTarget;
  /** HTTP method, case-insensitive; any when absent. */
  method?: string;
  /** A RegExp tested against the path (without `/client/v4` and query), or a substring of it; any when absent. */
  path?: RegExp | string;
  /** Matching requests let through before the fault applies. @default 0 */
  skip?: number;
  /** Matching requests the fault applies to; `Infinity` allowed. @default 1 */
  times?: number;
  fault: Fault;
  /** How many requests the fault was applied to, maintained by the emulator. */
  applied?: number;
}

/** The server a fault rule applies to. */
export type FaultTarget = "api" | "delivery";

/** Fault kinds that act on an API envelope, which the delivery server does not send. */
const ENVELOPE_FAULTS: ReadonlySet<Fault["kind"]> = new Set([
  "malformed",
  "successFalse",
  "rewriteResult",
  "dropResponse",
]);

/** Settings of the seeded random failures. */
export interface RandomFailures {
  /** Probability in [0, 1] that a request fails. */
  rate: number;
  seed: number;
  /** The faults to pick from uniformly. @default status 500, status 503, reset, rateLimited 1 s */
  faults?: Fault[];
}

/** The faults random failures pick from when none are given. */
export const DEFAULT_RANDOM_FAULTS: readonly Fault[] = [
  { kind: "status", status: 500 },
  { kind: "status", status: 503 },
  { kind: "reset" },
  { kind: "rateLimited", retryAfterSeconds: 1 },
];

/** A seeded PRNG (mulberry32) returning numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A short label of a fault for the request log, e.g. `status:503` or `reset`. */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case "status":
    case "html":
      return `${fault.kind}:${fault.status}`;
    case "delay":
      return `delay:${fault.ms}`;
    case "rateLimited":
      return `rateLimited:${fault.retryAfterSeconds ?? "no Retry-After"}`;
    case "reset":
    case "hang":
    case "malformed":
    case "successFalse":
    case "dropResponse":
    case "rewriteResult":
      return fault.kind;
  }
}

/** Chooses the fault, if any, for each request: rules first, in the order added, then random failures. */
export class FaultInjector {
  private readonly rules: FaultRule[] = [];
  private readonly seen = new Map<FaultRule, number>();
  private random: { rate: number; faults: readonly Fault[]; next: () => number } | null = null;

  /** Adds a rule and returns it live: its `applied` count grows as it applies. */
  add(rule: FaultRule): FaultRule {
    const times = rule.times ?? 1;
    const skip = rule.skip ?? 0;
    if (!(times >= 0) || !(skip >= 0)) {
      throw new RangeError(`fault rule: skip and times must be >= 0 (got skip ${skip}, times ${times})`);
    }
    if (rule.on === "delivery" && ENVELOPE_FAULTS.has(rule.fault.kind)) {
      throw new RangeError(
        `fault rule: ${rule.fault.kind} acts on API answers; it does not apply on the delivery server`,
      );
    }
    rule.applied = 0;
    this.rules.push(rule);
    this.seen.set(rule, 0);
    return rule;
  }

  /** Removes every rule (random failures stay as set). */
  clear(): void {
    this.rules.length = 0;
    this.seen.clear();
  }

  /** Turns seeded random failures on (restarting the sequence from `seed`) or off with null. */
  setRandom(opts: RandomFailures | null): void {
    if (opts === null) {
      this.random = null;
      return;
    }
    if (!(opts.rate >= 0 && opts.rate <= 1)) {
      throw new RangeError(`random failures: rate must be in [0, 1] (got ${opts.rate})`);
    }
    const faults = opts.faults ?? DEFAULT_RANDOM_FAULTS;
    if (faults.length === 0) throw new RangeError("random failures: faults must not be empty");
    this.random = { rate: opts.rate, faults, next: mulberry32(opts.seed) };
  }

  /**
   * The fault for a request, or undefined. A rule counts every request it matches (for `skip`); the first rule
   * with applications left wins and later rules do not see the request. Random failures apply on the API only.
   */
  pick(method: string, path: string, on: FaultTarget = "api"): Fault | undefined {
    for (const rule of this.rules) {
      if ((rule.on ?? "api") !== on || !matches(rule, method, path)) continue;
      const seen = (this.seen.get(rule) ?? 0) + 1;
      this.seen.set(rule, seen);
      const applied = rule.applied ?? 0;
      if (seen > (rule.skip ?? 0) && applied < (rule.times ?? 1)) {
        rule.applied = applied + 1;
        return rule.fault;
      }
    }
    if (on === "api" && this.random && this.random.next() < this.random.rate) {
      const index = Math.floor(this.random.next() * this.random.faults.length);
      return this.random.faults[index];
    }
    return undefined;
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  if (rule.path === undefined) return true;
  if (typeof rule.path === "string") return path.includes(rule.path);
  rule.path.lastIndex = 0; // a /g or /y RegExp keeps state between test() calls
  return rule.path.test(path);
}
