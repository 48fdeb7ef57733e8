import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { DEFAULT_RATE_BUDGET, RequestLimiter, sharedLimiter } from "../../src/core/limiter";
import { type Clock } from "../../src/core/clock";
import type { ServerQuota } from "../../src/core/ratelimit-headers";

/** A promise with a flag saying whether it has settled. */
function pending<T>(promise: Promise<T>): { promise: Promise<T>; done: boolean } {
  const tracked = { promise, done: false };
  void promise.then(() => (tracked.done = true));
  return tracked;
}

/** Lets every ready promise callback run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

const quota = (remaining: number, resetSeconds: number, q?: number): ServerQuota[] => [
  { name: "default", remaining, resetMs: resetSeconds * 1000, ...(q === undefined ? {} : { quota: q }) },
];

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
    limiter.observe(200, []); // a server that sends no count: the local budget alone decides
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

  it("holds every request back after a 429, then lets one at a time through until an answer is not a 429", async () => {
    const clock = virtualClock();
    const limiter = new RequestLimiter({ windows: [], maxConcurrent: 8 }, clock);
    limiter.observe(200, []);
    limiter.pauseUntil(5000);
    const probe = await limiter.acquire();
    assert.equal(clock.now(), 5000);
    const second = pending(limiter.acquire());
    await settle();
    assert.equal(second.done, false, "no second request into a block");
    limiter.observe(429, []);
    probe();
    const next = await second.promise;
    const third = pending(limiter.acquire());
    await settle();
    assert.equal(third.done, false, "still one at a time after another 429");
    limiter.observe(200, []);
    next();
    (await third.promise)();
    // The block is over: requests go out together again.
    const together = await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    together.forEach((release) => release());
  });

  it("is shared per key across the process", () => {
    assert.equal(sharedLimiter("k1"), sharedLimiter("k1"));
    assert.notEqual(sharedLimiter("k1"), sharedLimiter("k2"));
  });
});

describe("RequestLimiter following the server's count", () => {
  /** A limiter with a generous local budget, so that only the server's count holds it back. */
  function limiterAt(clock: Clock, maxConcurrent = 2): RequestLimiter {
    return new RequestLimiter({ windows: [{ requests: 1000, windowMs: 300_000 }], maxConcurrent }, clock);
  }

  it("never plans past the remaining quota minus its reserve before the reset, then waits for the reset", async () => {
    const clock = virtualClock();
    const limiter = limiterAt(clock);
    limiter.observe(200, quota(20, 60, 100)); // reserve: 5 % of 100
    assert.deepEqual(limiter.serverEstimate(), [{ name: "default", left: 20, reserve: 5, resetInMs: 60_000 }]);
    const grantedAt: number[] = [];
    for (let i = 0; i < 16; i++) {
      const release = await limiter.acquire();
      grantedAt.push(clock.now());
      release();
    }
    assert.deepEqual(grantedAt.slice(0, 15), Array(15).fill(0), "15 = 20 remaining - 5 reserved");
    assert.equal(grantedAt[15], 60_000, "the 16th waited for the reset");
    assert.equal(limiter.waits["server count"], 1);
  });

  it("counts its own requests sent since the answer, and those in flight when it came, as spent", async () => {
    const clock = virtualClock();
    const limiter = limiterAt(clock, 8);
    limiter.observe(200, quota(200, 60, 1000));
    const inFlight = await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    limiter.observe(200, quota(100, 60, 1000)); // the answer of one of the three: the other two may not be counted
    inFlight.forEach((release) => release());
    assert.equal(limiter.serverEstimate()[0]?.left, 98);
    (await limiter.acquire())();
    assert.equal(limiter.serverEstimate()[0]?.left, 97);
  });

  it("keeps the lower count when answers of one window arrive out of order; a new window replaces it", async () => {
    const clock = virtualClock();
    const limiter = limiterAt(clock);
    limiter.observe(200, quota(50, 60));
    limiter.observe(200, quota(80, 60)); // an older answer, late
    assert.equal(limiter.serverEstimate()[0]?.left, 50);
    limiter.observe(200, quota(30, 59));
    assert.equal(limiter.serverEstimate()[0]?.left, 30);
    clock.t += 60_000;
    assert.deepEqual(limiter.serverEstimate(), [], "past its reset a count is forgotten");
    limiter.observe(200, quota(1199, 300));
    assert.equal(limiter.serverEstimate()[0]?.left, 1199);
  });

  it("sends one request alone first in a new process, and when its count is stale, near the reserve, or reset", async () => {
    const cases: Array<{ name: string; setup: (limiter: RequestLimiter, clock: Clock & { t: number }) => void }> = [
      { name: "the first of a new process (what did others leave?)", setup: () => undefined },
      { name: "stale (older than a second)", setup: (l, c) => (l.observe(200, quota(500, 300, 1000)), (c.t += 1001)) },
      { name: "near the reserve", setup: (l) => l.observe(200, quota(50 + 2 * 2, 300, 1000)) },
      { name: "reset", setup: (l, c) => (l.observe(200, quota(500, 1, 1000)), (c.t += 1000)) },
    ];
    for (const { name, setup } of cases) {
      const clock = virtualClock();
      const limiter = limiterAt(clock);
      setup(limiter, clock);
      const first = await limiter.acquire();
      const second = pending(limiter.acquire());
      await settle();
      assert.equal(second.done, false, `${name}: the second waits for the first answer`);
      limiter.observe(200, quota(400, 200, 1000));
      first();
      (await second.promise)();
    }
    // A fresh count well above the reserve lets requests go out together.
    const clock = virtualClock();
    const limiter = limiterAt(clock);
    limiter.observe(200, quota(500, 300, 1000));
    const both = await Promise.all([limiter.acquire(), limiter.acquire()]);
    both.forEach((release) => release());
  });

  it("falls back to the local budget alone when the server sends no count", async () => {
    const clock = virtualClock();
    const limiter = new RequestLimiter({ windows: [{ requests: 3, windowMs: 10_000 }], maxConcurrent: 8 }, clock);
    limiter.observe(200, []);
    const grantedAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      const release = await limiter.acquire();
      grantedAt.push(clock.now());
      release();
    }
    assert.deepEqual(grantedAt, [0, 0, 0, 10_000]);
    assert.deepEqual(limiter.serverEstimate(), []);
  });

  it("keeps its own local cap even when the server reports more left", async () => {
    const clock = virtualClock();
    const limiter = new RequestLimiter({ windows: [{ requests: 2, windowMs: 10_000 }], maxConcurrent: 8 }, clock);
    limiter.observe(200, quota(1000, 300, 1200));
    for (let i = 0; i < 3; i++) (await limiter.acquire())();
    assert.equal(clock.now(), 10_000);
  });
});

describe("RequestLimiter: the local cap's window is the server's", () => {
  const announced = (windowSeconds: number): ServerQuota[] => [
    {
      name: "default",
      remaining: 100_000,
      resetMs: windowSeconds * 1000,
      quota: 100_000,
      windowMs: windowSeconds * 1000,
    },
  ];

  it("keeps the cap per 5 minutes until an answer announces a window, then per that window", async () => {
    const clock = virtualClock();
    const limiter = new RequestLimiter(
      { windows: [{ requests: 2, windowMs: 300_000, serverWindow: true }], maxConcurrent: 8 },
      clock,
    );
    for (let i = 0; i < 3; i++) (await limiter.acquire())();
    assert.equal(clock.now(), 300_000, "the third waited for the first to leave the 5-minute window");
    limiter.observe(200, announced(30));
    for (let i = 0; i < 3; i++) (await limiter.acquire())();
    assert.equal(clock.now(), 330_000, "then 2 per 30 s: the fifth and sixth wait for the 30 s window");
  });

  it("takes the window of whichever policy announces one, not only the first policy's", async () => {
    const clock = virtualClock();
    const limiter = new RequestLimiter(
      { windows: [{ requests: 2, windowMs: 300_000, serverWindow: true }], maxConcurrent: 8 },
      clock,
    );
    limiter.observe(200, [{ name: "burst", remaining: 100_000, resetMs: 1000 }, ...announced(30)]);
    for (let i = 0; i < 3; i++) (await limiter.acquire())();
    assert.equal(clock.now(), 30_000, "2 per 30 s, from the second policy");
  });

  it("leaves a window that is not the server's as budgeted", async () => {
    const clock = virtualClock();
    const limiter = new RequestLimiter({ windows: [{ requests: 2, windowMs: 10_000 }], maxConcurrent: 8 }, clock);
    limiter.observe(200, announced(1));
    for (let i = 0; i < 3; i++) (await limiter.acquire())();
    assert.equal(clock.now(), 10_000);
  });
});

describe("RequestLimiter, at its edges", () => {
  /** A limiter with a generous local budget, so that only the server's count holds it back. */
  function limiterAt(clock: Clock, maxConcurrent = 2): RequestLimiter {
    return new RequestLimiter({ windows: [{ requests: 1000, windowMs: 300_000 }], maxConcurrent }, clock);
  }

  /** Whether a second request goes out while a first is in flight (false: it waits for the first answer). */
  async function secondGoesAlong(limiter: RequestLimiter): Promise<boolean> {
    const first = await limiter.acquire();
    const second = pending(limiter.acquire());
    await settle();
    const along = second.done;
    first();
    (await second.promise)();
    return along;
  }

  it("has the documented default budget: 1000 requests per 5 minutes (or per the window the server announces), 50 per second, 8 in flight, 5 % kept", () => {
    assert.deepEqual(DEFAULT_RATE_BUDGET, {
      windows: [
        { requests: 1000, windowMs: 300_000, serverWindow: true },
        { requests: 50, windowMs: 1000 },
      ],
      maxConcurrent: 8,
      reserveFraction: 0.05,
      freshMs: 1000,
    });
  });

  it("counts the requests it let through and the time they waited", async () => {
    const clock = virtualClock();
    const limiter = new RequestLimiter({ windows: [{ requests: 1, windowMs: 1000 }], maxConcurrent: 8 }, clock);
    limiter.observe(200, []);
    for (let i = 0; i < 3; i++) (await limiter.acquire())();
    assert.equal(limiter.granted, 3);
    assert.equal(limiter.waitedMs, 2000);
    assert.equal(limiter.waits["local budget"], 2);
  });

  it("counts a release once, however often it is called", async () => {
    const limiter = new RequestLimiter({ windows: [], maxConcurrent: 1 }, virtualClock());
    limiter.observe(200, []);
    const first = await limiter.acquire();
    first();
    first();
    const second = await limiter.acquire();
    const third = pending(limiter.acquire());
    await settle();
    assert.equal(third.done, false, "one in flight is the cap");
    second();
    (await third.promise)();
  });

  it("counts each reason once per wait, however often that wait meets it", async () => {
    const clock = virtualClock();
    let extended = false;
    const extending: Clock = {
      now: clock.now,
      sleep: async (ms) => {
        await clock.sleep(ms);
        if (!extended) {
          extended = true;
          limiter.pauseUntil(clock.t + 1000); // a second 429 while the first pause ran
        }
      },
    };
    const limiter = new RequestLimiter({ windows: [], maxConcurrent: 8 }, extending);
    limiter.pauseUntil(5000);
    (await limiter.acquire())();
    assert.equal(clock.t, 6000);
    assert.equal(limiter.waits.pause, 1);
  });

  it("waits out a pause, a full window and a server count from the time it is asked, not from 0", async () => {
    const clock = virtualClock();
    clock.t = 10_000;
    const paused = new RequestLimiter({ windows: [], maxConcurrent: 8 }, clock);
    paused.pauseUntil(15_000);
    (await paused.acquire())();
    assert.equal(clock.t, 15_000);

    const windowed = new RequestLimiter({ windows: [{ requests: 1, windowMs: 1000 }], maxConcurrent: 8 }, clock);
    windowed.observe(200, []);
    (await windowed.acquire())();
    (await windowed.acquire())();
    assert.equal(clock.t, 16_000);

    const counted = limiterAt(clock);
    counted.observe(200, quota(5, 60, 100)); // down to its reserve of 5: wait for the reset
    (await counted.acquire())();
    assert.equal(clock.t, 76_000);
  });

  it("counts the 429s that met a probe, not those of requests already in flight when the block began", () => {
    const clock = virtualClock();
    const limiter = limiterAt(clock);
    limiter.observe(429, []);
    assert.equal(limiter.blockStreak, 1);
    limiter.pauseUntil(5000);
    limiter.observe(429, []);
    assert.equal(limiter.blockStreak, 1, "answered during the pause: sent before the block was known");
    clock.t = 5000;
    limiter.observe(429, []);
    assert.equal(limiter.blockStreak, 2, "the probe at the end of the pause");
    limiter.observe(200, []);
    assert.equal(limiter.blockStreak, 0);
  });

  it("goes on asking for a count alone after a reset once the server has sent counts, even if one answer had none", async () => {
    const clock = virtualClock();
    const limiter = limiterAt(clock);
    limiter.observe(200, quota(500, 1, 1000));
    limiter.observe(200, []);
    clock.t = 1000;
    assert.equal(await secondGoesAlong(limiter), false);
  });

  it("takes a count of another window in place of the current one, even a higher one", () => {
    const clock = virtualClock();
    const limiter = limiterAt(clock);
    limiter.observe(200, quota(50, 60));
    limiter.observe(200, quota(1199, 300));
    assert.equal(limiter.serverEstimate()[0]?.left, 1199);
    const exact = limiterAt(clock);
    exact.observe(200, quota(50, 60));
    exact.observe(200, [{ name: "default", remaining: 80, resetMs: 61_500 }]);
    assert.equal(exact.serverEstimate()[0]?.left, 80, "resets 1.5 s apart are two windows");
  });

  it("replaces a count that has reset, and keeps the reset time of an equal count of the same window", () => {
    const clock = virtualClock();
    const limiter = limiterAt(clock);
    limiter.observe(200, quota(5, 1));
    clock.t = 1000;
    assert.deepEqual(limiter.serverEstimate(), [], "a count is gone at its reset");
    limiter.observe(200, quota(100, 1));
    assert.equal(limiter.serverEstimate()[0]?.left, 100);
    clock.t = 1500;
    limiter.observe(200, quota(100, 1));
    assert.deepEqual(limiter.serverEstimate(), [{ name: "default", left: 100, reserve: 50, resetInMs: 500 }]);
  });

  it("sends one at a time from exactly reserve + 2 x maxConcurrent left, and together above it", async () => {
    const clock = virtualClock();
    const near = limiterAt(clock);
    near.observe(200, quota(55, 300, 1000)); // reserve 50; with the first in flight, 54 = 50 + 2 x 2 left
    assert.equal(await secondGoesAlong(near), false);
    const above = limiterAt(clock);
    above.observe(200, quota(56, 300, 1000));
    assert.equal(await secondGoesAlong(above), true);
  });

  it("takes a count as fresh for freshMs after the answer that brought it", async () => {
    const clock = virtualClock();
    clock.t = 5000;
    const limiter = limiterAt(clock);
    limiter.observe(200, quota(500, 300, 1000));
    clock.t = 6000;
    assert.equal(await secondGoesAlong(limiter), true, "1000 ms old: still fresh");
    clock.t = 6001;
    assert.equal(await secondGoesAlong(limiter), false, "older: one alone first");
  });

  it("keeps a reserve of the larger of the count and its own window when the server gives no quota", () => {
    const limiter = limiterAt(virtualClock());
    limiter.observe(200, quota(800, 300));
    assert.equal(limiter.serverEstimate()[0]?.reserve, 50, "5 % of the local 1000, more than the 800 left");
  });

  it("shares one limiter per key and budget, and starts a new one when the budget changes", () => {
    const key = randomUUID();
    const budget = { windows: [{ requests: 300, windowMs: 300_000 }], maxConcurrent: 8 };
    const first = sharedLimiter(key, budget);
    assert.equal(sharedLimiter(key, { ...budget }), first);
    const changed = sharedLimiter(key, { ...budget, maxConcurrent: 4 });
    assert.notEqual(changed, first);
    assert.equal(changed.budget.maxConcurrent, 4);
    assert.equal(sharedLimiter(key, { ...budget, maxConcurrent: 4 }), changed);
    assert.notEqual(sharedLimiter(randomUUID(), budget), first);
  });
});
