import assert from "node:assert/strict";
import { CloudflareClient, type RetryNotice } from "../../src/core/client";
import {
  AuthenticationError,
  CloudflareApiError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  RequestTimeoutError,
} from "../../src/core/errors";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { cfId, clientFor, recordingClock, tinyLimiter, TOKEN } from "../helpers/fixtures";

describe("CloudflareClient", () => {
  let emulator: Emulator;
  const account = cfId();
  let video: string;

  before(async () => {
    emulator = await startEmulator({ token: TOKEN, generationMs: 200, rateLimit: false, downloadUrls: "cloudflare" });
  });
  after(() => emulator.close());
  beforeEach(() => {
    emulator.clearFaults();
    video = emulator.createVideo(account);
    emulator.resetRequests();
  });

  /** Asserts that the error's message (and its whole inspectable form) never holds the token. */
  function assertNoSecret(error: unknown): void {
    const text = `${String(error)} ${JSON.stringify(error)} ${require("node:util").inspect(error, { depth: 5 })}`;
    assert.ok(!text.includes(TOKEN), `credential leaked into: ${text}`);
  }

  async function failure(promise: Promise<unknown>): Promise<Error> {
    try {
      await promise;
    } catch (error) {
      assertNoSecret(error);
      return error as Error;
    }
    assert.fail("expected the request to fail");
  }

  it("unwraps the envelope's result and sends the token as a Bearer header", async () => {
    const client = clientFor(emulator);
    await client.createDownload(account, video, "default");
    const downloads = await client.getDownloads(account, video);
    assert.equal(downloads.default?.status, "inprogress");
    assert.match(
      downloads.default?.url ?? "",
      new RegExp(`^https://customer-[a-z0-9]+\\.cloudflarestream\\.com/${video}/downloads/default\\.mp4$`),
    );
    assert.deepEqual(
      emulator.requests.map((r) => [r.method, r.status, r.auth]),
      [
        ["POST", 200, "bearer"],
        ["GET", 200, "bearer"],
      ],
    );
  });

  it("authenticates with the legacy API key and email", async () => {
    const client = clientFor(emulator, { credentials: { kind: "key", apiKey: "test-key", email: "test@example.com" } });
    await client.getDownloads(account, video);
    assert.equal(emulator.requests[0]?.auth, "key");
  });

  it("throws a NotFoundError that names the status, method, path and Cloudflare's error, without retrying", async () => {
    const client = clientFor(emulator);
    const error = await failure(client.getDownloads(account, cfId()));
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.status, 404);
    assert.equal(error.method, "GET");
    assert.ok(error.errors.length > 0);
    assert.match(
      error.message,
      /^Cloudflare API 404 Not Found: GET \/accounts\/[0-9a-f]{32}\/stream\/[0-9a-f]{32}\/downloads: \[\d+\] /,
    );
    assert.equal(emulator.requests.length, 1);
  });

  it("treats success: false on a 200 as an error and does not retry it", async () => {
    emulator.addFault({ path: "/downloads", fault: { kind: "successFalse" } });
    const error = await failure(clientFor(emulator).getDownloads(account, video));
    assert.ok(error instanceof CloudflareApiError);
    assert.equal(error.status, 200);
    assert.match(error.message, /Cloudflare API 200: GET .*\/downloads: \[\d+\]/);
    assert.equal(emulator.requests.length, 1);
  });

  it("quotes at most 3 of Cloudflare's errors, each cut at 300 characters, and keeps them all in errors", async () => {
    const errors = Array.from({ length: 5 }, (_, i) => ({ code: 1000 + i, message: `e${i} ${"x".repeat(10_000)}` }));
    const body = JSON.stringify({ success: false, errors, messages: [], result: null });
    emulator.addFault({ path: "/downloads", fault: { kind: "status", status: 400, body } });
    const error = await failure(clientFor(emulator).getDownloads(account, video));
    assert.ok(error instanceof CloudflareApiError);
    assert.match(
      error.message,
      /\[1000\] e0 x+… \(cut\); \[1001\] e1 x+… \(cut\); \[1002\] e2 x+… \(cut\); and 2 more$/,
    );
    assert.ok(error.message.length < 1200, `${error.message.length} characters`);
    assert.equal(error.errors.length, 5);
  });

  it("reads errors whose code or message is not what it should be, even an object with a toString key", async () => {
    const errors = [
      { code: { valueOf: 1 }, message: { toString: 1 } },
      { code: "1001", message: ["a", 2] },
    ];
    const body = JSON.stringify({ success: false, errors, messages: [], result: null });
    emulator.addFault({ path: "/downloads", fault: { kind: "status", status: 400, body } });
    const error = await failure(clientFor(emulator).getDownloads(account, video));
    assert.ok(error instanceof CloudflareApiError, String(error));
    assert.match(error.message, /GET \/accounts\/.*\/downloads: \[NaN\] \{"toString":1\}; \[1001\] \["a",2\]$/);
  });

  it("fails at once with an AuthenticationError on a wrong token, saying which permission it needs", async () => {
    const client = clientFor(emulator, { credentials: { kind: "token", token: "wrong-token" } });
    const error = await failure(client.getDownloads(account, video));
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.status, 403);
    assert.match(error.message, /Stream Write/);
    assert.ok(!error.message.includes("wrong-token"));
    assert.equal(emulator.requests.length, 1);
  });

  it("fails at once on a 401 when the credential is missing", async () => {
    const client = clientFor(emulator, { credentials: { kind: "token", token: "" } });
    const error = await failure(client.getDownloads(account, video));
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.status, 401);
    assert.equal(emulator.requests.length, 1);
  });

  for (const status of [500, 503, 504, 408, 409]) {
    it(`retries a ${status} and returns the later success`, async () => {
      emulator.addFault({ path: "/downloads", fault: { kind: "status", status }, times: 2 });
      const downloads = await clientFor(emulator).getDownloads(account, video);
      assert.deepEqual(downloads, {});
      assert.deepEqual(
        emulator.requests.map((r) => r.status),
        [status, status, 200],
      );
    });
  }

  it("retries a 502 proxy page and, when it persists, says an HTML page came instead of JSON", async () => {
    emulator.addFault({ path: "/downloads", fault: { kind: "html", status: 502 }, times: Infinity });
    const error = await failure(clientFor(emulator).getDownloads(account, video));
    assert.ok(error instanceof CloudflareApiError);
    assert.equal(error.status, 502);
    assert.match(error.message, /502 Bad Gateway: GET .* an HTML page titled/);
    assert.equal(emulator.requests.length, 5, "bounded: five attempts in all");
  });

  it("does not retry a 400", async () => {
    emulator.addFault({ path: "/downloads", fault: { kind: "status", status: 400 }, times: Infinity });
    const error = await failure(clientFor(emulator).getDownloads(account, video));
    assert.ok(error instanceof CloudflareApiError);
    assert.equal(error.status, 400);
    assert.equal(emulator.requests.length, 1);
  });

  it("retries a 429 after the Retry-After delay rather than its own backoff", async () => {
    emulator.addFault({ path: "/downloads", fault: { kind: "rateLimited", retryAfterSeconds: 7 } });
    const clock = recordingClock();
    await clientFor(emulator, { clock }).getDownloads(account, video);
    assert.deepEqual(clock.sleeps, [7000]);
    assert.equal(emulator.requests.length, 2);
  });

  it("gives up on a 429 whose Retry-After is longer than it will wait", async () => {
    emulator.addFault({ path: "/downloads", fault: { kind: "rateLimited", retryAfterSeconds: 900 } });
    const clock = recordingClock();
    const error = await failure(clientFor(emulator, { clock }).getDownloads(account, video));
    assert.ok(error instanceof RateLimitedError);
    assert.equal(error.retryAfterMs, 900_000);
    assert.deepEqual(clock.sleeps, []);
  });

  it("backs off exponentially with jitter between retries", async () => {
    emulator.addFault({ path: "/downloads", fault: { kind: "status", status: 503 }, times: 4 });
    const clock = recordingClock();
    await clientFor(emulator, { clock, retry: { baseDelayMs: 100, maxDelayMs: 1000 }, random: () => 0 }).getDownloads(
      account,
      video,
    );
    assert.deepEqual(clock.sleeps, [100, 200, 400, 800]);
    const jittered = recordingClock();
    emulator.addFault({ path: "/downloads", fault: { kind: "status", status: 503 }, times: 1 });
    await clientFor(emulator, { clock: jittered, retry: { baseDelayMs: 100 }, random: () => 0.999 }).getDownloads(
      account,
      video,
    );
    assert.deepEqual(jittered.sleeps, [75]);
  });

  it("retries a reset connection as a NetworkError", async () => {
    emulator.addFault({ path: "/downloads", fault: { kind: "reset" } });
    await clientFor(emulator).getDownloads(account, video);
    assert.equal(emulator.requests.length, 2);
    emulator.addFault({ path: "/downloads", fault: { kind: "reset" }, times: Infinity });
    const error = await failure(clientFor(emulator).getDownloads(account, video));
    assert.ok(error instanceof NetworkError);
    assert.match(error.message, /failed before a response arrived: GET .*\/downloads/);
  });

  it("aborts a hung attempt after its timeout and retries it", async () => {
    const notices: RetryNotice[] = [];
    const onRetry = (n: RetryNotice) => notices.push(n);
    // An answer that comes within the attempt's timeout is waited for: one request, no retry.
    emulator.addFault({ path: "/downloads", fault: { kind: "delay", ms: 50 } });
    await clientFor(emulator, { attemptTimeoutMs: 10_000, onRetry }).getDownloads(account, video);
    assert.deepEqual(
      emulator.requests.map((r) => [r.fault, r.status]),
      [["delay:50", 200]],
    );
    assert.equal(notices.length, 0, "no retry");

    // A hung attempt is aborted at its timeout, and retried after the policy's backoff (5 ms, no jitter).
    emulator.resetRequests();
    emulator.addFault({ path: "/downloads", fault: { kind: "hang" } });
    const clock = recordingClock();
    await clientFor(emulator, { attemptTimeoutMs: 150, clock, random: () => 0, onRetry }).getDownloads(account, video);
    assert.deepEqual(
      emulator.requests.map((r) => [r.fault, r.status]),
      [
        ["hang", 0],
        [undefined, 200],
      ],
    );
    assert.deepEqual(
      notices.map((n) => [n.attempt, n.delayMs]),
      [[1, 5]],
    );
    assert.equal(notices[0]?.reason, "no answer within 150 ms");
    assert.match(`${notices[0]?.method} ${notices[0]?.path}`, /^GET .*\/downloads$/);
    assert.deepEqual(clock.sleeps, [5], "the retry waited what the policy computed, on the client's clock");
    emulator.addFault({ path: "/downloads", fault: { kind: "hang" }, times: Infinity });
    const error = await failure(
      clientFor(emulator, { attemptTimeoutMs: 50, retry: { maxAttempts: 2 } }).getDownloads(account, video),
    );
    assert.ok(error instanceof RequestTimeoutError);
    assert.match(error.message, /timed out after 50 ms: GET /);
  });

  it("retries a truncated JSON body", async () => {
    emulator.addFault({ path: "/downloads", fault: { kind: "malformed" } });
    assert.deepEqual(await clientFor(emulator).getDownloads(account, video), {});
    assert.equal(emulator.requests.length, 2);
  });

  it("holds every request of the shared limiter back after a 429, not only the one that got it", async () => {
    const limiter = tinyLimiter(1000, 60_000);
    const clock = recordingClock();
    const client = clientFor(emulator, { limiter, clock });
    emulator.addFault({ path: "/downloads", fault: { kind: "rateLimited", retryAfterSeconds: 1 } });
    const started = Date.now();
    // The recording clock's sleep returns at once, so only the limiter's real pause can delay these.
    const realClockClient = clientFor(emulator, { limiter });
    await client.getDownloads(account, video);
    await realClockClient.getVideo(account, video);
    assert.ok(Date.now() - started >= 900, "the second client waited out the pause");
  });

  it("never lets more requests through the limiter than its window allows", async () => {
    const limiter = tinyLimiter(3, 400);
    const client = clientFor(emulator, { limiter });
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => client.getDownloads(account, video)));
    const times = emulator.requests.map((r) => r.at - started);
    assert.equal(times.length, 6);
    assert.ok((times[3] ?? 0) >= 390, `the 4th request waited for the window: ${times.join(", ")}`);
  });

  it("limits requests in flight at once", async () => {
    const limiter = tinyLimiter(1000, 60_000, 2);
    emulator.addFault({ path: "/downloads", fault: { kind: "delay", ms: 100 }, times: Infinity });
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => clientFor(emulator, { limiter }).getDownloads(account, video)));
    assert.ok(Date.now() - started >= 290, "six 100 ms requests, two at a time, take three rounds");
  });

  it("keeps the credential out of its inspectable form", () => {
    const client = new CloudflareClient({ credentials: { kind: "token", token: TOKEN } });
    assertNoSecret(client);
  });
});
