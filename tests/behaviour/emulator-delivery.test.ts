/**
 * The emulator's delivery server, over real HTTP: the download files it serves (GET and HEAD) with their size
 * and type, what it answers before a download is ready and for a video that requires signed URLs, and that it
 * is another origin than the API, outside the API's rate limit.
 */
import assert from "node:assert/strict";
import fetch from "node-fetch";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../src/emulator/server";
import { cfId, clientFor, TOKEN } from "../helpers/fixtures";

describe("emulator: the delivery server for download files", () => {
  const account = cfId();
  let emu: Emulator;
  let tick: (ms: number) => void;

  async function start(options: EmulatorOptions = {}): Promise<void> {
    let clock = 1_800_000_000_000;
    emu = await startEmulator({
      token: TOKEN,
      now: () => clock,
      generationMs: 1000,
      downloadUrls: "emulator",
      ...options,
    });
    tick = (ms) => (clock += ms);
  }
  afterEach(() => emu.close());

  const file = (uid: string, name = "default.mp4") => `${emu.deliveryOrigin}/${uid}/downloads/${name}`;

  it("names itself in download URLs: another port than the API, so another origin", async () => {
    await start();
    const uid = emu.createVideo(account);
    emu.createDownload(account, uid, "audio");
    const listed = await clientFor(emu).getDownloads(account, uid);
    assert.equal(listed.audio?.url, file(uid, "audio.m4a"));
    assert.notEqual(new URL(emu.deliveryOrigin).origin, new URL(emu.baseUrl).origin);
  });

  it("keeps Cloudflare's URL form by default, and serves the same paths all the same", async () => {
    await start({ downloadUrls: "cloudflare", customerCode: "abcdefgh12345678" });
    const uid = emu.createVideo(account);
    emu.createDownload(account, uid, "default", { ready: true });
    assert.equal(
      emu.downloads(account, uid).default?.url,
      `https://customer-abcdefgh12345678.cloudflarestream.com/${uid}/downloads/default.mp4`,
    );
    assert.equal((await fetch(file(uid), { method: "HEAD" })).status, 200);
  });

  it("serves a ready download with Content-Length from the video's duration and the type's Content-Type", async () => {
    await start();
    const uid = emu.createVideo(account, { durationSeconds: 30 });
    emu.createDownload(account, uid, "default", { ready: true });
    emu.createDownload(account, uid, "audio", { ready: true });

    const mp4 = await fetch(file(uid), { method: "HEAD" });
    assert.equal(mp4.status, 200);
    assert.equal(mp4.headers.get("content-length"), String(30 * 250_000));
    assert.equal(mp4.headers.get("content-type"), "video/mp4");
    const m4a = await fetch(file(uid, "audio.m4a"), { method: "HEAD" });
    assert.equal(m4a.headers.get("content-length"), String(30 * 16_000));
    assert.equal(m4a.headers.get("content-type"), "audio/mp4");

    const body = await (await fetch(file(uid, "audio.m4a"))).buffer();
    assert.equal(body.length, 30 * 16_000, "a GET sends as many bytes as Content-Length says");
  });

  it("answers 404 until the download is ready, and for a failed one, a missing one or an unknown video", async () => {
    await start();
    const uid = emu.createVideo(account);
    assert.equal((await fetch(file(uid), { method: "HEAD" })).status, 404, "no download yet");
    emu.createDownload(account, uid, "default");
    assert.equal((await fetch(file(uid), { method: "HEAD" })).status, 404, "generating");
    tick(1000);
    assert.equal((await fetch(file(uid), { method: "HEAD" })).status, 200, "ready");

    emu.failNextDownloads({ types: ["audio"], afterMs: 10 });
    emu.createDownload(account, uid, "audio");
    tick(2000);
    assert.equal(emu.downloads(account, uid).audio?.status, "error");
    const failed = await fetch(file(uid, "audio.m4a"));
    assert.equal(failed.status, 404);
    assert.match(await failed.text(), /the audio download failed/);
    assert.equal((await fetch(file(cfId()), { method: "HEAD" })).status, 404);
    assert.equal((await fetch(`${emu.deliveryOrigin}/${uid}/downloads/video.webm`)).status, 404);
  });

  it("answers 401 for a video that requires signed URLs, ready or not", async () => {
    await start();
    const uid = emu.createVideo(account, { requireSignedURLs: true });
    emu.createDownload(account, uid, "default", { ready: true });
    const head = await fetch(file(uid), { method: "HEAD" });
    assert.equal(head.status, 401);
    assert.match(await (await fetch(file(uid))).text(), /requires a signed URL/);
  });

  it("answers 405 to methods other than GET and HEAD", async () => {
    await start();
    const uid = emu.createVideo(account);
    emu.createDownload(account, uid, "default", { ready: true });
    const post = await fetch(file(uid), { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
  });

  it("logs its requests apart from the API's, outside the API's rate limit", async () => {
    await start({ rateLimit: { limit: 1, windowMs: 60_000, blockMs: 60_000 } });
    const uid = emu.createVideo(account);
    emu.createDownload(account, uid, "default", { ready: true });
    await clientFor(emu).getDownloads(account, uid);
    for (let i = 0; i < 5; i++) assert.equal((await fetch(file(uid), { method: "HEAD" })).status, 200);

    assert.equal(emu.requests.length, 1, "the API log holds the API's request only");
    assert.deepEqual(
      emu.deliveryRequests.map((r) => [r.method, r.path, r.status, r.host]),
      Array.from({ length: 5 }, () => ["HEAD", `/${uid}/downloads/default.mp4`, 200, "delivery"]),
    );
    assert.deepEqual(
      emu.rateLimitWindows(TOKEN).map((w) => w.allowed),
      [1],
    );
    emu.resetRequests();
    assert.deepEqual([emu.requests.length, emu.deliveryRequests.length], [0, 0]);
  });

  it("takes fault rules meant for it, and no others; refuses the faults that act on API envelopes", async () => {
    await start();
    const uid = emu.createVideo(account);
    emu.createDownload(account, uid, "default", { ready: true });
    emu.addFault({ fault: { kind: "status", status: 500 }, times: Infinity }); // an API rule: no effect here
    emu.addFault({ on: "delivery", path: "/downloads/", fault: { kind: "status", status: 503 } });
    assert.equal((await fetch(file(uid), { method: "HEAD" })).status, 503);
    assert.equal((await fetch(file(uid), { method: "HEAD" })).status, 200);
    assert.equal(emu.deliveryRequests[0]?.fault, "status:503");
    emu.setRandomFailures({ rate: 1, seed: 1 });
    assert.equal((await fetch(file(uid), { method: "HEAD" })).status, 200, "random failures are the API's");
    assert.throws(
      () => emu.addFault({ on: "delivery", fault: { kind: "successFalse" } }),
      /successFalse acts on API answers/,
    );
  });
});
