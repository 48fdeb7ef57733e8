/**
 * File facts (src/core/file-facts.ts) against the emulator's delivery server, over real HTTP: the size and type of
 * a ready download's file from one HEAD of the URL the API gave, what it reports when the URL does not answer
 * 2xx, its retries on the injected clock, and that the API's credential never goes to the delivery host.
 */
import assert from "node:assert/strict";
import { readFileFacts } from "../../src/core/file-facts";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { cfId, clientFor, recordingClock, TOKEN } from "../helpers/fixtures";

const CREDENTIAL_HEADERS = ["authorization", "x-auth-key", "x-auth-email"];

describe("file facts: a HEAD of each ready download's URL", () => {
  const account = cfId();
  let emu: Emulator;
  beforeEach(async () => (emu = await startEmulator({ token: TOKEN, generationMs: 200, downloadUrls: "emulator" })));
  afterEach(() => emu.close());

  /** A video with ready downloads of both types, and their URLs as the API lists them. */
  async function readyVideo(opts: { requireSignedURLs?: boolean; durationSeconds?: number } = {}) {
    const uid = emu.createVideo(account, opts);
    emu.createDownload(account, uid, "default", { ready: true });
    emu.createDownload(account, uid, "audio", { ready: true });
    const listed = await clientFor(emu).getDownloads(account, uid);
    return { uid, mp4: listed.default?.url ?? "", m4a: listed.audio?.url ?? "" };
  }

  it("reads sizeBytes and contentType of each type, with no credential sent to the delivery host", async () => {
    const { mp4, m4a } = await readyVideo({ durationSeconds: 100 });
    const client = clientFor(emu);
    await client.getVideo(account, emu.createVideo(account)); // the API, with the token, in the same process

    assert.deepEqual(await readFileFacts(mp4), {
      outcome: "served",
      status: 200,
      sizeBytes: 100 * 250_000,
      contentType: "video/mp4",
    });
    assert.deepEqual(await readFileFacts(m4a), {
      outcome: "served",
      status: 200,
      sizeBytes: 100 * 16_000,
      contentType: "audio/mp4",
    });

    assert.ok(
      emu.requests.every((r) => r.auth === "bearer"),
      "the API requests carried the token",
    );
    assert.deepEqual(
      emu.deliveryRequests.map((r) => [r.method, r.auth]),
      [
        ["HEAD", "none"],
        ["HEAD", "none"],
      ],
    );
    for (const request of emu.deliveryRequests) {
      for (const name of CREDENTIAL_HEADERS) assert.equal(request.headers[name], undefined, `${name} sent`);
      assert.ok(!JSON.stringify(request.headers).includes(TOKEN));
    }
    assert.equal(emu.requests.length, 2, "the HEADs cost no API request");
  });

  it("says a 401 is expected for a video that requires signed URLs", async () => {
    const { mp4 } = await readyVideo({ requireSignedURLs: true });
    const facts = await readFileFacts(mp4, { requireSignedURLs: true });
    assert.equal(facts.outcome, "signed");
    assert.equal(facts.status, 401);
    assert.match(
      facts.outcome === "signed" ? facts.reason : "",
      /401 Unauthorized, as expected: the video requires signed URLs/,
    );
  });

  it("reports a 401 for a video that does not require signed URLs by its last read", async () => {
    const { mp4 } = await readyVideo({ requireSignedURLs: true });
    const facts = await readFileFacts(mp4, { requireSignedURLs: false });
    assert.deepEqual(facts, {
      outcome: "failed",
      status: 401,
      reason:
        "HEAD answered 401 Unauthorized although the video does not require signed URLs (by its last read); " +
        "if it does now, the next refresh says so",
    });
  });

  it("reports a URL that does not answer 2xx although the list says ready, without retrying a 404", async () => {
    const { uid, mp4 } = await readyVideo();
    emu.deleteDownload(account, uid, "default");
    const clock = recordingClock();
    const facts = await readFileFacts(mp4, { clock });
    assert.deepEqual(facts, {
      outcome: "failed",
      status: 404,
      reason:
        "HEAD answered 404 Not Found although Cloudflare lists the download as ready; the next refresh looks again",
    });
    assert.equal(emu.deliveryRequests.length, 1);
    assert.deepEqual(clock.sleeps, []);
  });

  it("retries 5xx, 429 and a lost connection with the project's policy on the injected clock", async () => {
    const { mp4 } = await readyVideo();
    emu.addFault({ on: "delivery", times: 2, fault: { kind: "status", status: 503 } });
    emu.addFault({ on: "delivery", fault: { kind: "rateLimited", retryAfterSeconds: 3 } });
    emu.addFault({ on: "delivery", fault: { kind: "reset" } });
    const clock = recordingClock();
    const notices: string[] = [];
    const facts = await readFileFacts(mp4, {
      clock,
      random: () => 0,
      retry: { baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 5 },
      onRetry: (n) => notices.push(`${n.attempt}: ${n.reason} -> ${n.delayMs}`),
    });

    assert.equal(facts.outcome, "served");
    assert.deepEqual(clock.sleeps, [100, 200, 3000, 800], "backoff, backoff, Retry-After, backoff");
    assert.deepEqual(notices, [
      "1: answered 503 Service Unavailable -> 100",
      "2: answered 503 Service Unavailable -> 200",
      "3: answered 429 Too Many Requests -> 3000",
      "4: no answer (ECONNRESET) -> 800",
    ]);
    assert.equal(emu.deliveryRequests.length, 5);
  });

  it("gives up after maxAttempts, saying what the last attempt got; a hang is cut by the attempt timeout", async () => {
    const { mp4, m4a } = await readyVideo();
    emu.addFault({ on: "delivery", path: "default.mp4", times: Infinity, fault: { kind: "status", status: 502 } });
    emu.addFault({ on: "delivery", path: "audio.m4a", times: Infinity, fault: { kind: "hang" } });
    const clock = recordingClock();
    assert.deepEqual(await readFileFacts(mp4, { clock, retry: { maxAttempts: 3 } }), {
      outcome: "failed",
      status: 502,
      reason: "HEAD answered 502 Bad Gateway (3 attempts)",
    });
    assert.deepEqual(await readFileFacts(m4a, { clock, attemptTimeoutMs: 100, retry: { maxAttempts: 2 } }), {
      outcome: "failed",
      reason: "HEAD got no answer within 100 ms (2 attempts)",
    });
  });

  it("does not wait out a Retry-After longer than the policy allows", async () => {
    const { mp4 } = await readyVideo();
    emu.addFault({ on: "delivery", fault: { kind: "rateLimited", retryAfterSeconds: 3600 } });
    const clock = recordingClock();
    const facts = await readFileFacts(mp4, { clock });
    assert.deepEqual(facts, {
      outcome: "failed",
      status: 429,
      reason: "HEAD answered 429 Too Many Requests and asked to wait too long",
    });
    assert.deepEqual(clock.sleeps, []);
  });

  it("sends nothing for a URL that is not http(s)", async () => {
    for (const url of ["", "ftp://example.com/a.mp4", "/relative/default.mp4", "javascript:alert(1)"]) {
      assert.deepEqual(await readFileFacts(url), {
        outcome: "failed",
        reason: "the download's URL is not an http(s) URL",
      });
    }
    assert.equal(emu.deliveryRequests.length, 0);
  });
});
