import assert from "node:assert/strict";
import { CloudflareClient, type RetryNotice } from "../../src/core/client";
import { RateLimitedError } from "../../src/core/errors";
import { type RateBudget, RequestLimiter } from "../../src/core/limiter";
import type { Clock } from "../../src/core/clock";
import { DEFAULT_RETRY_POLICY } from "../../src/core/retry";
import type { Credentials } from "../../src/core/client";
import { type Emulator, type RecordedRequest, startEmulator } from "../../src/emulator/server";
import { cfId, inputsFor, providerFor, TOKEN } from "../helpers/fixtures";

/**
 * A virtual clock shared by the emulator and the clients: a sleep moves time to its wake-up time at once (never
 * back), so sleeps that overlap do not add up, and minutes of rate limiting pass in milliseconds.
 */
function jumpClock(): Clock & { t: number } {
  const clock = {
    t: 1_000_000,
    now: () => clock.t,
    sleep: async (ms: number) => {
      const wake = clock.t + ms;
      await new Promise((r) => setImmediate(r));
      clock.t = Math.max(clock.t, wake);
    },
  };
  return clock;
}

/** A client as one provider process makes it: its own limiter (one per process), the default retry policy. */
function processClient(emulator: Emulator, clock: Clock, maxConcurrent = 8, extra: { deadline?: number } = {}) {
  const notices: RetryNotice[] = [];
  const limiter = new RequestLimiter(
    { windows: [{ requests: 1000, windowMs: 300_000 }], maxConcurrent, reserveFraction: 0.05, freshMs: 1000 },
    clock,
  );
  const client = new CloudflareClient({
    baseUrl: emulator.baseUrl,
    credentials: { kind: "token", token: TOKEN },
    limiter,
    clock,
    onRetry: (n) => notices.push(n),
    ...extra,
  });
  return { client, limiter, notices };
}

describe("sharing Cloudflare's rate limit", () => {
  let emulator: Emulator;
  let clock: Clock & { t: number };
  const account = cfId();

  beforeEach(async () => {
    clock = jumpClock();
    emulator = await startEmulator({ token: TOKEN, now: () => clock.t });
  });
  afterEach(() => emulator.close());

  const statuses = (): number[] => emulator.requests.map((r) => r.status);

  it("two processes with one token stay under the limit together by following the server's count", async () => {
    emulator.options.rateLimit = { limit: 40, windowMs: 10_000, blockMs: 10_000 };
    const video = emulator.createVideo(account);
    const [a, b] = [processClient(emulator, clock), processClient(emulator, clock)];
    // 150 requests each: almost four times the quota of one window between them.
    await Promise.all(
      [a, b].flatMap(({ client }) => Array.from({ length: 150 }, () => client.getVideo(account, video))),
    );
    assert.equal(statuses().filter((s) => s === 429).length, 0, "no 429");
    assert.equal(emulator.requests.length, 300);
    const windows = emulator.rateLimitWindows(TOKEN);
    assert.ok(windows.length >= 8, `the work spread over the windows: ${JSON.stringify(windows)}`);
    for (const w of windows) assert.ok(w.allowed <= 40 && w.refused === 0, JSON.stringify(w));
    assert.ok(a.limiter.waits["server count"] > 0 && b.limiter.waits["server count"] > 0, "both waited for resets");
  });

  it("leaves the quota another client spent: waits for the reset instead of running into the block", async () => {
    emulator.options.rateLimit = { limit: 40, windowMs: 10_000, blockMs: 10_000, retryAfter: false };
    const video = emulator.createVideo(account);
    const { client } = processClient(emulator, clock);
    await client.getVideo(account, video);
    emulator.spendQuota(TOKEN, 30); // the dashboard, Terraform, a script: 9 left
    await Promise.all(Array.from({ length: 40 }, () => client.getVideo(account, video)));
    assert.deepEqual(
      statuses().filter((s) => s !== 200),
      [],
    );
    for (const w of emulator.rateLimitWindows(TOKEN)) assert.ok(w.allowed <= 40 && w.refused === 0, JSON.stringify(w));
  });

  it("sits out a block without Retry-After: pauses every request, probes one at a time, then goes on", async () => {
    emulator.options.rateLimit = { limit: 10, windowMs: 60_000, blockMs: 45_000, retryAfter: false };
    const video = emulator.createVideo(account);
    const { client, notices } = processClient(emulator, clock, 2);
    await client.getVideo(account, video);
    emulator.spendQuota(TOKEN, 20); // another client passes the limit: the token is blocked for 45 s
    const blockedAt = clock.now();
    await Promise.all(Array.from({ length: 5 }, () => client.getVideo(account, video)));

    const refused = emulator.requests.filter((r) => r.status === 429).map((r) => r.at - blockedAt);
    const log = JSON.stringify(emulator.requests.map((r) => [r.status, r.at - blockedAt]));
    // Two went out together (the count said 9 left; two may be in flight), then one probe at a time, at least
    // 10 s apart, until one came after the block's end. No burst into the block.
    assert.deepEqual(refused.slice(0, 2), [0, 0], log);
    const probes = refused.slice(2);
    assert.ok(probes.length >= 1 && probes.length <= 3, `probes that met the block: ${log}`);
    [0, ...probes].forEach((at, i, all) => i > 0 && assert.ok(at - (all[i - 1] ?? 0) >= 10_000, log));
    const firstOk = emulator.requests.find((r, i) => i > 0 && r.status === 200);
    assert.ok(firstOk && firstOk.at - blockedAt >= 45_000, log);
    assert.equal(emulator.requests.filter((r) => r.status === 200).length, 6);
    assert.ok(
      notices.every((n) => n.block && /a block without Retry-After/.test(n.reason)),
      "the retries said why",
    );
  });

  it("gives up on a block that outlasts the request's deadline, having probed one at a time", async () => {
    emulator.options.rateLimit = { limit: 10, windowMs: 60_000, blockMs: 3_600_000, retryAfter: false };
    const video = emulator.createVideo(account);
    const deadline = clock.now() + 600_000;
    const { client, notices } = processClient(emulator, clock, 8, { deadline });
    await client.getVideo(account, video);
    emulator.spendQuota(TOKEN, 20); // another client: blocked for an hour
    const started = clock.now();
    const error = await client.getVideo(account, video).then(
      () => assert.fail("expected the block to outlast the deadline"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RateLimitedError, String(error));
    // What the policy computed: probes at 10 s, 20 s, then every 30 s, the last one no later than the deadline.
    const delays = notices.map((n) => n.delayMs);
    assert.deepEqual(delays.slice(0, 3), [10_000, 20_000, 30_000]);
    assert.ok(delays.slice(2).every((d) => d === DEFAULT_RETRY_POLICY.blockProbeMaxMs));
    const probedUntil = started + delays.reduce((sum, d) => sum + d, 0);
    assert.ok(probedUntil <= deadline && probedUntil + 30_000 > deadline, `probed until ${probedUntil - started}`);
    assert.equal(emulator.requests.filter((r) => r.status === 429).length, delays.length + 1, "one request per probe");
  });

  it("lets a create sit out a block until its readyTimeoutSeconds, not merely one block", async () => {
    emulator.options.rateLimit = { limit: 10, windowMs: 60_000, blockMs: 3_600_000, retryAfter: false };
    const video = emulator.createVideo(account);
    emulator.spendQuota(TOKEN, 20); // another client: the token is blocked for an hour
    const provider = providerFor(emulator, { clock });
    const started = clock.now();
    const error = await provider.create(inputsFor(account, video, { readyTimeoutSeconds: 1200 })).then(
      () => assert.fail("expected the block to outlast the deadline"),
      (e: unknown) => e,
    );
    assert.match(String(error), /429/);
    const refused = emulator.requests.filter((r) => r.status === 429);
    assert.equal(refused.length, emulator.requests.length, "nothing got through the block");
    // Probing went on for the resource's 20 minutes (the last probe at most one interval before it), well past
    // the 330 s a request without a deadline sits out.
    const lastProbe = (refused.at(-1)?.at ?? 0) - started;
    assert.ok(lastProbe > 1_200_000 - 30_000 && lastProbe <= 1_200_000, `last probe at ${lastProbe} ms`);
    assert.ok(
      provider.lines.some((line) => /a block without Retry-After/.test(line)),
      "the retry lines say why",
    );
  });
});

/**
 * Every client of one credential in a process shares one limiter, whichever resource (or copy of the provider)
 * made it: the operations make a client per call, and find its limiter by a fingerprint of the credential and
 * the endpoint. Seen here through the dynamic provider against the emulator, with a budget of one request in
 * flight at a time: requests that share a limiter never overlap at the emulator.
 */
describe("one limiter per credential, shared by every resource in the process", function () {
  this.timeout(60_000);
  let emulator: Emulator;
  const account = cfId();
  /** One request in flight at a time, and windows too wide to hold anything back. */
  const ONE_AT_A_TIME: RateBudget = { windows: [{ requests: 1000, windowMs: 300_000 }], maxConcurrent: 1 };
  const KEY: Credentials = { kind: "key", apiKey: "test-key", email: "test@example.com" };

  beforeEach(async () => {
    emulator = await startEmulator({ token: TOKEN, rateLimit: false });
  });
  afterEach(() => emulator.close());

  /** A provider as the engine deserializes one per resource: its own operations, its own client per call. */
  function provider(credentials: Credentials, client: { attemptTimeoutMs?: number } = {}) {
    return providerFor(emulator, {
      settings: () => ({ baseUrl: emulator.baseUrl, credentials, budget: ONE_AT_A_TIME }),
      client: { retry: { baseDelayMs: 5, maxDelayMs: 20 }, attemptTimeoutMs: 1000, ...client },
    });
  }

  /** A video with a ready default download, and the state a refresh of it starts from. */
  async function recorded() {
    const video = emulator.createVideo(account);
    emulator.createDownload(account, video, "default", { ready: true });
    const { id, outs } = await provider({ kind: "token", token: TOKEN }).create(inputsFor(account, video));
    return { id, outs };
  }

  /** Pairs of requests the emulator was serving at the same time: for each answer, those still unanswered. */
  function overlapsOf(emulator: Emulator): Array<[number, number]> {
    const overlaps: Array<[number, number]> = [];
    emulator.onResponse((done: RecordedRequest) => {
      for (const other of emulator.requests)
        if (other !== done && other.status === 0) overlaps.push([done.seq, other.seq]);
    });
    return overlaps;
  }

  it("two resources with one token never have requests in flight together beyond the budget", async () => {
    const [first, second] = [await recorded(), await recorded()];
    const overlaps = overlapsOf(emulator);
    // Each request takes 100 ms at the emulator: two limiters would let the two refreshes overlap.
    emulator.addFault({ times: Infinity, fault: { kind: "delay", ms: 100 } });
    emulator.resetRequests();
    const token: Credentials = { kind: "token", token: TOKEN };
    const results = await Promise.all([
      provider(token).read(first.id, first.outs),
      provider(token).read(second.id, second.outs),
    ]);
    assert.deepEqual(
      results.map((r) => r.id),
      [first.id, second.id],
    );
    // Each refresh reads its list; the two video reads are gathered into one read of the video list.
    assert.deepEqual(
      emulator.requests
        .map(
          (r) => `${r.method} ${r.path.endsWith("/downloads") ? "downloads" : r.path.replace(/^.*\/stream/, "stream")}`,
        )
        .sort(),
      ["GET downloads", "GET downloads", "GET stream"],
      "each refresh read its list, and both videos were read together",
    );
    assert.ok(emulator.requests.every((r) => r.status === 200));
    assert.deepEqual(overlaps, [], "one request at a time, across both resources");
  });

  it("another credential has its own limiter: its requests do not wait for the token's", async () => {
    const { id, outs } = await recorded();
    // The token's next request hangs at the emulator for 20 s (its attempt timeout): with one limiter for both
    // credentials, it would hold the only slot, and the token's other request would go before the key's.
    const hung = emulator.addFault({ method: "GET", fault: { kind: "hang" } });
    const held = provider({ kind: "token", token: TOKEN }, { attemptTimeoutMs: 20_000 })
      .read(id, outs)
      .then(
        () => "settled",
        () => "settled",
      );
    while (hung.applied === 0) await new Promise((r) => setImmediate(r));

    const other = await provider(KEY).read(id, outs);
    assert.equal(other.id, id);
    const after = emulator.requests.slice(emulator.requests.findIndex((r) => r.fault === "hang") + 1);
    assert.deepEqual(
      after.map((r) => [r.auth, r.status]),
      [
        ["key", 200],
        ["key", 200],
      ],
      "while the token's request hung, the key's refresh went through, and nothing of the token's",
    );
    await emulator.close(); // ends the hung request
    assert.equal(await held, "settled");
  });
});
