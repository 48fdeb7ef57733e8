import assert from "node:assert/strict";
import {
  CloudflareApiError,
  NetworkError,
  RateLimitedError,
  RequestTimeoutError,
  UnexpectedResponseError,
} from "../../src/core/errors";
import {
  blockProbeDelayMs,
  DEFAULT_RETRY_POLICY,
  parseRetryAfterMs,
  type RetryContext,
  retryDecision,
} from "../../src/core/retry";

const policy = DEFAULT_RETRY_POLICY;

function rateLimited(retryAfterMs?: number): RateLimitedError {
  return new RateLimitedError({ status: 429, method: "GET", path: "/x", errors: [], retryAfterMs });
}

/** The decision for the `attempt`-th attempt of a request whose every answer so far was `error`. */
function decide(error: unknown, ctx: Partial<RetryContext> & { attempt: number }) {
  return retryDecision({ error, blocks: 0, now: 0, ...ctx }, policy);
}

describe("retryDecision", () => {
  it("probes a block (429 without Retry-After) at 10 s, 20 s, then every 30 s", () => {
    const delays = [1, 2, 3, 4, 5].map((n) => blockProbeDelayMs(n, policy));
    assert.deepEqual(delays, [10_000, 20_000, 30_000, 30_000, 30_000]);
    assert.deepEqual(decide(rateLimited(), { attempt: 1, blocks: 1, blockedSince: 0 }), {
      retry: true,
      delayMs: 10_000,
      block: true,
    });
  });

  it("does not count a block against maxAttempts: time, not the retry count, ends it", () => {
    // The 30th probe of a block that began 100 s ago, within the resource's 30-minute deadline.
    const later = decide(rateLimited(), {
      attempt: 30,
      blocks: 30,
      now: 100_000,
      blockedSince: 0,
      deadline: 1_800_000,
    });
    assert.deepEqual(later, { retry: true, delayMs: 30_000, block: true });
  });

  it("gives up on a block when the next probe would come after the resource's deadline", () => {
    const ctx = { attempt: 40, blocks: 40, blockedSince: 0, deadline: 1_800_000 };
    assert.equal(decide(rateLimited(), { ...ctx, now: 1_770_000 }).retry, true);
    assert.deepEqual(decide(rateLimited(), { ...ctx, now: 1_770_001 }), {
      retry: false,
      reason: "block outlasted the deadline",
    });
  });

  it("sits out one whole block even when the deadline is sooner or already past (a rollback after it)", () => {
    const ctx = { attempt: 5, blocks: 5, blockedSince: 1000, deadline: 0 };
    assert.equal(decide(rateLimited(), { ...ctx, now: 1000 + 300_000 }).retry, true);
    assert.equal(decide(rateLimited(), { ...ctx, now: 1000 + 300_001 }).retry, false, "past maxBlockMs + a probe");
    // Refresh and delete have no deadline: one block.
    assert.equal(decide(rateLimited(), { attempt: 9, blocks: 9, blockedSince: 0, now: 300_000 }).retry, true);
    assert.equal(decide(rateLimited(), { attempt: 9, blocks: 9, blockedSince: 0, now: 300_001 }).retry, false);
  });

  it("waits a 429's Retry-After, counting it as an attempt", () => {
    assert.deepEqual(decide(rateLimited(7000), { attempt: 1 }), { retry: true, delayMs: 7000, block: false });
    assert.deepEqual(decide(rateLimited(7000), { attempt: 5 }), { retry: false, reason: "attempts" });
    assert.deepEqual(decide(rateLimited(900_000), { attempt: 1 }), { retry: false, reason: "retry-after too long" });
  });

  it("counts only failures that were not blocks against maxAttempts, and backs off by them", () => {
    const error = new NetworkError("GET", "/x", new Error("reset"));
    // Ten attempts, eight of them blocks: this is the second failure, so the first backoff doubled.
    assert.deepEqual(retryDecision({ error, attempt: 10, blocks: 8, now: 0, random: () => 0 }, policy), {
      retry: true,
      delayMs: 1000,
      block: false,
    });
    assert.equal(retryDecision({ error, attempt: 13, blocks: 8, now: 0 }, policy).retry, false, "5 failures");
  });
});

describe("which failures retry", () => {
  const apiError = (status: number, errors: Array<{ code: number; message: string }> = []) =>
    CloudflareApiError.generate({ status, method: "GET", path: "/x", errors });
  const retries = (error: unknown) => decide(error, { attempt: 1 }).retry;

  it("retries 408, 409, 429 and every 5xx, and no other status", () => {
    for (const status of [408, 409, 429, 500, 502, 599]) assert.equal(retries(apiError(status)), true, String(status));
    for (const status of [400, 401, 403, 404, 410, 422, 499])
      assert.equal(retries(apiError(status)), false, String(status));
  });

  it("retries a lost connection, a timed-out attempt and a 2xx whose body was no envelope, and nothing else", () => {
    assert.equal(retries(new NetworkError("GET", "/x", new Error("reset"))), true);
    assert.equal(retries(new RequestTimeoutError("GET", "/x", 30_000)), true);
    assert.equal(retries(apiError(200)), true, "a truncated body");
    assert.equal(retries(apiError(200, [{ code: 1, message: "success: false" }])), false, "Cloudflare said why");
    assert.equal(retries(apiError(300)), false);
    assert.deepEqual(decide(new UnexpectedResponseError("GET", "/x", 42), { attempt: 1 }), {
      retry: false,
      reason: "not retriable",
    });
    assert.deepEqual(decide(new TypeError("a bug"), { attempt: 1 }), { retry: false, reason: "not retriable" });
  });

  it("waits a Retry-After as long as maxRetryAfterMs", () => {
    assert.deepEqual(decide(rateLimited(policy.maxRetryAfterMs), { attempt: 1 }), {
      retry: true,
      delayMs: policy.maxRetryAfterMs,
      block: false,
    });
  });

  it("takes up to a quarter off the backoff as jitter", () => {
    const error = new NetworkError("GET", "/x", new Error("reset"));
    const delay = (random: number) =>
      retryDecision({ error, attempt: 1, blocks: 0, now: 0, random: () => random }, policy);
    assert.deepEqual(delay(0.5), { retry: true, delayMs: 438, block: false }, "500 ms less 12.5 %");
    assert.deepEqual(delay(0.999), { retry: true, delayMs: 375, block: false });
  });
});

describe("parseRetryAfterMs", () => {
  const now = Date.parse("2030-01-01T00:00:00Z");

  it("reads seconds, rounded up to whole milliseconds, and never less than 0", () => {
    assert.equal(parseRetryAfterMs("7", now), 7000);
    assert.equal(parseRetryAfterMs("0.0015", now), 2);
    assert.equal(parseRetryAfterMs("-3", now), 0);
  });

  it("reads an HTTP date as the time until it, 0 when it has passed", () => {
    assert.equal(parseRetryAfterMs("Tue, 01 Jan 2030 00:00:30 GMT", now), 30_000);
    assert.equal(parseRetryAfterMs("Mon, 31 Dec 2029 23:59:00 GMT", now), 0);
  });

  it("says nothing (undefined) for a header that is absent, blank or unreadable", () => {
    for (const value of [null, "", "   ", "soon"])
      assert.equal(parseRetryAfterMs(value, now), undefined, String(value));
  });
});
