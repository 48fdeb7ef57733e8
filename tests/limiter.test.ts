import assert from "node:assert/strict";
import { type Clock, RequestLimiter, sharedLimiter } from "../src/core/limiter";

/** A virtual clock: sleeping advances time at once, so minutes of budget are tested in microseconds. */
function virtualClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

describe("RequestLimiter", () => {
  it("lets at most `requests` through in any window, then waits for the oldest to age out", async () => {
    const clock = virtualClock();
    const limiter = new RequestLimiter(
      { windows: [{ requests: 1200, windowMs: 300_000 }], maxConcurrent: 1000 },
      clock,
    );
    const grantedAt: number[] = [];
    for (let i = 0; i < 2500; i++) {
      const release = await limiter.acquire();
      grantedAt.push(clock.now());
      release();
    }
    // Sliding-window check over every grant.
    for (let i = 1200; i < grantedAt.length; i++) {
      assert.ok((grantedAt[i] ?? 0) - (grantedAt[i - 1200] ?? 0) >= 300_000, `window broken at ${i}`);
    }
    assert.equal(grantedAt[1199], 0);
    assert.equal(grantedAt[1200], 300_000);
  });

  it("grants in arrival order and caps requests in flight", async () => {
    const limiter = new RequestLimiter({ windows: [], maxConcurrent: 2 }, virtualClock());
    const order: number[] = [];
    const releases = await Promise.all([limiter.acquire(), limiter.acquire()]);
    const third = limiter.acquire().then((release) => {
      order.push(3);
      return release;
    });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [], "the third waits while two are in flight");
    releases[0]?.();
    (await third)();
    assert.deepEqual(order, [3]);
  });

  it("holds everyone back while paused after a 429", async () => {
    const clock = virtualClock();
    const limiter = new RequestLimiter({ windows: [], maxConcurrent: 10 }, clock);
    limiter.pauseUntil(5000);
    (await limiter.acquire())();
    assert.equal(clock.now(), 5000);
  });

  it("is shared per key across the process", () => {
    assert.equal(sharedLimiter("k1"), sharedLimiter("k1"));
    assert.notEqual(sharedLimiter("k1"), sharedLimiter("k2"));
  });
});
