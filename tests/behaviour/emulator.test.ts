import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import fetch from "node-fetch";
import { parseArgs, UsageError } from "../../src/emulator/main";
import type {
  DialectDownload,
  DialectVideo,
  Emulator,
  EmulatorOptions,
  EmptyListForm,
  PostShape,
} from "../../src/emulator";
import { startEmulator } from "../../src/emulator";
import type { WireDownload, WireDownloads, WireEnvelope, WireVideo } from "../../src/core/wire";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210";
const MISSING_UID = "ffffffffffffffffffffffffffffffff";
const TOKEN = { Authorization: "Bearer test-token" };
const REPO_ROOT = path.resolve(__dirname, "../..");

interface Reply<T> {
  status: number;
  headers: { get(name: string): string | null };
  body: WireEnvelope<T>;
}

/** Calls the emulator over real HTTP with the valid token unless other headers are given. */
async function call<T = unknown>(
  emu: Emulator,
  method: string,
  apiPath: string,
  opts: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply<T>> {
  const response = await fetch(`${emu.baseUrl}${apiPath}`, {
    method,
    headers: { ...(opts.headers ?? TOKEN), ...(opts.body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as WireEnvelope<T> };
}

function videoPath(uid: string, rest = ""): string {
  return `/accounts/${ACCOUNT}/stream/${uid}${rest}`;
}

function result<T>(reply: Reply<T>): T {
  assert.equal(reply.body.success, true, `expected success, got ${reply.status} ${JSON.stringify(reply.body.errors)}`);
  assert.notEqual(reply.body.result, null);
  return reply.body.result as T;
}

/** An emulator whose clock only moves when the test says so. */
async function withClock(options: EmulatorOptions = {}): Promise<{ emu: Emulator; tick(ms: number): void }> {
  let clock = 1_700_000_000_000;
  const emu = await startEmulator({ now: () => clock, ...options });
  return { emu, tick: (ms) => (clock += ms) };
}

describe("Cloudflare Stream emulator", () => {
  let emu: Emulator;
  let tick: (ms: number) => void;

  beforeEach(async () => {
    ({ emu, tick } = await withClock({ generationMs: 1000, videoReadyMs: 0 }));
  });
  afterEach(async () => {
    await emu.close();
  });

  describe("envelope and routing", () => {
    it("wraps every answer in the v4 envelope, with result null and errors on failure", async () => {
      const uid = emu.createVideo(ACCOUNT);
      const good = await call<WireVideo>(emu, "GET", videoPath(uid));
      assert.equal(good.status, 200);
      assert.match(good.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(Object.keys(good.body).sort(), ["errors", "messages", "result", "success"]);
      assert.deepEqual(good.body.errors, []);
      assert.equal(result(good).uid, uid);

      const bad = await call(emu, "GET", videoPath(MISSING_UID));
      assert.equal(bad.status, 404);
      assert.equal(bad.body.success, false);
      assert.equal(bad.body.result, null);
      assert.equal(bad.body.errors[0]?.code, 10005);
    });

    it("answers 404 code 7003 for unknown routes, malformed ids and unsupported methods", async () => {
      const uid = emu.createVideo(ACCOUNT);
      for (const [method, p] of [
        ["GET", "/nothing/here"],
        ["GET", `/accounts/${ACCOUNT}/stream/NOT-A-UID`],
        ["GET", `/accounts/${ACCOUNT.toUpperCase()}/stream/${uid}`],
        ["PUT", videoPath(uid)],
        ["GET", videoPath(uid, "/downloads/default")],
        ["GET", `/accounts/${ACCOUNT}/stream/copy`],
      ] as const) {
        const reply = await call(emu, method, p);
        assert.equal(reply.status, 404, `${method} ${p}`);
        assert.deepEqual(reply.body.errors, [{ code: 7003, message: "No route for the URI" }]);
      }
      const outside = await fetch(`http://127.0.0.1:${emu.port}/elsewhere`);
      assert.equal(outside.status, 404);
    });

    it("tolerates percent-encoded paths, query strings and trailing slashes", async () => {
      const uid = emu.createVideo(ACCOUNT);
      const encoded = `/accounts/${ACCOUNT}/%73tream/${uid}/downloads/%61udio/?utm=x&y=1`;
      const reply = await call<WireDownload>(emu, "POST", encoded);
      assert.match(result(reply).url, /\/audio\.m4a$/);
      assert.equal(emu.requests.at(-1)?.path, `/accounts/${ACCOUNT}/stream/${uid}/downloads/audio`);
      assert.equal((await call(emu, "GET", `${videoPath(uid)}//`)).status, 200);
    });

    it("answers 404 for a video of another account", async () => {
      const uid = emu.createVideo(ACCOUNT);
      const reply = await call(emu, "GET", `/accounts/${OTHER_ACCOUNT}/stream/${uid}/downloads`);
      assert.equal(reply.status, 404);
      assert.equal(reply.body.errors[0]?.code, 10005);
    });
  });

  describe("videos", () => {
    it("copies a video from a URL that becomes ready to stream once videoReadyMs has passed", async () => {
      emu.options.videoReadyMs = 10_000;
      const created = result(
        await call<WireVideo>(emu, "POST", `/accounts/${ACCOUNT}/stream/copy`, {
          body: { url: "https://example.com/v.mp4", meta: { name: "clip" } },
        }),
      );
      assert.match(created.uid, /^[0-9a-f]{32}$/);
      assert.equal(created.readyToStream, false);
      assert.equal(created.status.state, "queued");
      assert.deepEqual(created.meta, { name: "clip" });

      tick(4000);
      const early = result(await call<WireVideo>(emu, "GET", videoPath(created.uid)));
      tick(4000);
      const later = result(await call<WireVideo>(emu, "GET", videoPath(created.uid)));
      assert.equal(early.status.state, "inprogress");
      assert.equal(later.status.state, "inprogress");
      assert.ok(Number(later.status.pctComplete) > Number(early.status.pctComplete), "pctComplete rises");
      assert.equal(typeof early.status.pctComplete, "string");

      tick(2000);
      const ready = result(await call<WireVideo>(emu, "GET", videoPath(created.uid)));
      assert.equal(ready.readyToStream, true);
      assert.equal(ready.status.state, "ready");
    });

    it("rejects a copy without a valid http(s) url with a 400 naming url", async () => {
      for (const body of [{}, { url: 42 }, { url: "not a url" }, { url: "ftp://example.com/v.mp4" }]) {
        const reply = await call(emu, "POST", `/accounts/${ACCOUNT}/stream/copy`, { body });
        assert.equal(reply.status, 400, JSON.stringify(body));
        assert.match(reply.body.errors[0]?.message ?? "", /url/);
        assert.equal(reply.body.errors[0]?.source?.pointer, "/url");
      }
      assert.equal(emu.allDownloads().length, 0);
    });

    it("reports a video whose processing failed as state error with its reason", async () => {
      const uid = emu.createVideo(ACCOUNT, { state: "error" });
      const video = result(await call<WireVideo>(emu, "GET", videoPath(uid)));
      assert.equal(video.readyToStream, false);
      assert.equal(video.status.state, "error");
      assert.equal(video.status.errorReasonCode, "ERR_NON_VIDEO");
      assert.ok(video.status.errorReasonText);
      assert.equal((await call(emu, "POST", videoPath(uid, "/downloads/default"))).status, 400);
    });

    it("reports requireSignedURLs as the video was created with it, false by default", async () => {
      const signed = emu.createVideo(ACCOUNT, { requireSignedURLs: true });
      const open = emu.createVideo(ACCOUNT);
      assert.equal(result(await call<WireVideo>(emu, "GET", videoPath(signed))).requireSignedURLs, true);
      assert.equal(result(await call<WireVideo>(emu, "GET", videoPath(open))).requireSignedURLs, false);

      const copy = `/accounts/${ACCOUNT}/stream/copy`;
      const body = { url: "https://example.com/v.mp4", requireSignedURLs: true };
      const copied = result(await call<WireVideo>(emu, "POST", copy, { body }));
      assert.equal(copied.requireSignedURLs, true);
      assert.equal(emu.getVideo(ACCOUNT, copied.uid)?.requireSignedURLs, true);
      const refused = await call(emu, "POST", copy, { body: { ...body, requireSignedURLs: "yes" } });
      assert.equal(refused.status, 400);
      assert.match(refused.body.errors[0]?.message ?? "", /requireSignedURLs/);
    });

    it("deletes a video together with its downloads", async () => {
      const uid = emu.createVideo(ACCOUNT);
      await call(emu, "POST", videoPath(uid, "/downloads/default"));
      await call(emu, "POST", videoPath(uid, "/downloads/audio"));
      assert.equal(emu.allDownloads().length, 2);

      const reply = await call(emu, "DELETE", videoPath(uid));
      assert.equal(reply.status, 200);
      assert.equal(reply.body.success, true);
      assert.equal(emu.getVideo(ACCOUNT, uid), undefined);
      assert.deepEqual(emu.allDownloads(), []);
      assert.equal((await call(emu, "GET", videoPath(uid, "/downloads"))).status, 404);
      assert.equal((await call(emu, "DELETE", videoPath(uid))).status, 404);
    });
  });

  describe("downloads", () => {
    it("refuses to create a download while the video is not ready to stream", async () => {
      const uid = emu.createVideo(ACCOUNT, { readyMs: 5000 });
      for (const p of ["/downloads", "/downloads/default", "/downloads/audio"]) {
        const reply = await call(emu, "POST", videoPath(uid, p));
        assert.equal(reply.status, 400, p);
        assert.equal(reply.body.errors[0]?.code, 10006);
        assert.match(reply.body.errors[0]?.message ?? "", /not ready/);
      }
      assert.deepEqual(emu.downloads(ACCOUNT, uid), {});
      tick(5000);
      assert.equal((await call(emu, "POST", videoPath(uid, "/downloads"))).status, 200);
    });

    it("generates a download from inprogress to ready with a rising percentComplete", async () => {
      const uid = emu.createVideo(ACCOUNT);
      const created = result(await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads/default")));
      assert.deepEqual([created.status, created.percentComplete], ["inprogress", 0]);
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) {
        tick(250);
        const d = result(await call<WireDownloads>(emu, "GET", videoPath(uid, "/downloads"))).default;
        assert.ok(d);
        seen.push(d.percentComplete);
        if (i < 3) assert.equal(d.status, "inprogress");
        else assert.equal(d.status, "ready");
      }
      assert.deepEqual(seen, [25, 50, 75, 100]);
      const stored = emu.storedDownloads(ACCOUNT, uid)[0];
      assert.equal(stored?.readyAt, (stored?.createdAt ?? 0) + 1000);
    });

    it("returns the download URL at once, in Cloudflare's shape for each type", async () => {
      await emu.close();
      ({ emu, tick } = await withClock({ customerCode: "abcdefgh12345678", downloadUrls: "cloudflare" }));
      const uid = emu.createVideo(ACCOUNT);
      const audio = result(await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads/audio")));
      const legacy = result(await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads")));
      assert.equal(audio.url, `https://customer-abcdefgh12345678.cloudflarestream.com/${uid}/downloads/audio.m4a`);
      assert.equal(legacy.url, `https://customer-abcdefgh12345678.cloudflarestream.com/${uid}/downloads/default.mp4`);
      assert.equal(legacy.status, "inprogress");
    });

    it("creates and deletes type-specific downloads, answering each create with the one download", async () => {
      const uid = emu.createVideo(ACCOUNT);
      assert.deepEqual(result(await call<WireDownloads>(emu, "GET", videoPath(uid, "/downloads"))), {});
      const audio = result(await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads/audio")));
      assert.deepEqual(Object.keys(audio).sort(), ["percentComplete", "status", "url"]);
      assert.match(audio.url, /\/audio\.m4a$/);
      const video = result(await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads/default")));
      assert.match(video.url, /\/default\.mp4$/);
      assert.deepEqual(Object.keys(emu.downloads(ACCOUNT, uid)).sort(), ["audio", "default"]);

      const deleted = await call<string>(emu, "DELETE", videoPath(uid, "/downloads/audio"));
      assert.equal(result(deleted), "ok");
      assert.deepEqual(Object.keys(emu.downloads(ACCOUNT, uid)), ["default"]);
    });

    it("creates and deletes the default download through the legacy routes", async () => {
      const uid = emu.createVideo(ACCOUNT);
      const created = result(await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads"), { body: {} }));
      assert.equal(created.status, "inprogress");
      assert.deepEqual(Object.keys(emu.downloads(ACCOUNT, uid)), ["default"]);
      assert.equal(result(await call<string>(emu, "DELETE", videoPath(uid, "/downloads"))), "ok");
      assert.deepEqual(emu.downloads(ACCOUNT, uid), {});
    });

    it("returns an existing download unchanged instead of regenerating it", async () => {
      const uid = emu.createVideo(ACCOUNT);
      await call(emu, "POST", videoPath(uid, "/downloads/default"));
      const before = emu.storedDownloads(ACCOUNT, uid);
      tick(600);
      const again = result(await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads/default")));
      const legacy = result(await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads")));
      assert.deepEqual(emu.storedDownloads(ACCOUNT, uid), before);
      assert.equal(again.percentComplete, 60);
      assert.equal(legacy.percentComplete, 60);
    });

    it("rejects an unknown download type with a 400 naming it", async () => {
      const uid = emu.createVideo(ACCOUNT);
      for (const method of ["POST", "DELETE"]) {
        const reply = await call(emu, method, videoPath(uid, "/downloads/hd"));
        assert.equal(reply.status, 400);
        assert.match(reply.body.errors[0]?.message ?? "", /"hd"/);
      }
    });

    it("answers 404 when deleting a download that does not exist, or one of a missing video", async () => {
      const uid = emu.createVideo(ACCOUNT);
      for (const p of [
        videoPath(uid, "/downloads"),
        videoPath(uid, "/downloads/audio"),
        videoPath(MISSING_UID, "/downloads/audio"),
      ]) {
        const reply = await call(emu, "DELETE", p);
        assert.equal(reply.status, 404, p);
        assert.equal(reply.body.success, false);
      }
    });

    it("makes the next downloads end in status error with a frozen percentComplete", async () => {
      const uid = emu.createVideo(ACCOUNT);
      emu.failNextDownloads({ types: ["audio"], afterMs: 400 });
      await call(emu, "POST", videoPath(uid, "/downloads/default"));
      await call(emu, "POST", videoPath(uid, "/downloads/audio"));
      tick(300);
      assert.equal(emu.downloads(ACCOUNT, uid).audio?.status, "inprogress");
      tick(200);
      assert.deepEqual(
        [emu.downloads(ACCOUNT, uid).audio?.status, emu.downloads(ACCOUNT, uid).audio?.percentComplete],
        ["error", 40],
      );
      tick(5000);
      const later = result(await call<WireDownloads>(emu, "GET", videoPath(uid, "/downloads")));
      assert.equal(later.audio?.status, "error");
      assert.equal(later.audio?.percentComplete, 40);
      assert.equal(later.default?.status, "ready");
      assert.equal(emu.storedDownloads(ACCOUNT, uid).find((d) => d.type === "audio")?.failAt !== undefined, true);

      // Out-of-band downloads consume plans too, so a test can set up a failed existing download.
      emu.failNextDownloads({ afterMs: 0 });
      emu.createDownload(ACCOUNT, uid, "default");
      assert.equal(emu.downloads(ACCOUNT, uid).default?.status, "error");

      // The plans were used up: the next audio download succeeds.
      const second = emu.createVideo(ACCOUNT);
      await call(emu, "POST", `/accounts/${ACCOUNT}/stream/${second}/downloads/audio`);
      tick(1000);
      assert.equal(emu.downloads(ACCOUNT, second).audio?.status, "ready");
    });

    it("lets tests create and delete downloads out of band and lists them all", async () => {
      const a = emu.createVideo(ACCOUNT);
      const b = emu.createVideo(OTHER_ACCOUNT);
      emu.createDownload(ACCOUNT, a, "default", { ready: true });
      emu.createDownload(OTHER_ACCOUNT, b, "audio");
      assert.deepEqual(
        emu
          .allDownloads()
          .map((d) => `${d.accountId === ACCOUNT ? "a" : "b"}:${d.type}:${d.status}`)
          .sort(),
        ["a:default:ready", "b:audio:inprogress"],
      );
      emu.deleteDownload(OTHER_ACCOUNT, b, "audio");
      emu.deleteVideo(ACCOUNT, a);
      assert.deepEqual(emu.allDownloads(), []);
      assert.throws(() => emu.createDownload(ACCOUNT, a, "default"), /no video/);
    });

    it("becomes ready in real time after generationMs with the default clock", async () => {
      const real = await startEmulator({ generationMs: 150 });
      try {
        const uid = real.createVideo(ACCOUNT);
        const before = Date.now();
        const created = result(await call<WireDownload>(real, "POST", videoPath(uid, "/downloads/default")));
        const after = Date.now();
        assert.equal(created.status, "inprogress", "answered at the moment of creation, before generationMs");
        const stored = real.storedDownloads(ACCOUNT, uid)[0];
        assert.ok(stored && stored.createdAt >= before && stored.createdAt <= after, "created on the real clock");
        assert.equal(stored.readyAt - stored.createdAt, 150);
        // Read until ready (however loaded the machine): never before readyAt by the real clock, then 100 %.
        let d: WireDownload | undefined;
        let readAt = 0;
        do {
          await new Promise((r) => setTimeout(r, 20));
          readAt = Date.now();
          d = result(await call<WireDownloads>(real, "GET", videoPath(uid, "/downloads"))).default;
          // A read that starts at or after readyAt arrives after it too: it must say ready.
          if (d?.status !== "ready") assert.ok(readAt < stored.readyAt, "still in progress after readyAt");
        } while (d?.status !== "ready");
        const arrivedAt = real.requests.at(-1)?.at ?? 0;
        assert.ok(arrivedAt >= stored.readyAt, "not ready before generationMs had passed");
        assert.deepEqual([d.status, d.percentComplete], ["ready", 100]);
      } finally {
        await real.close();
      }
    });
  });

  describe("dialects", () => {
    /** What each post shape answers to `POST .../downloads/audio` and then to the legacy `POST .../downloads`. */
    const shapes: Array<[PostShape, (uid: string) => [unknown, unknown]]> = [
      ["single", (uid) => [download(uid, "audio"), download(uid, "default")]],
      [
        "keyed",
        (uid) => [
          { audio: download(uid, "audio") },
          { default: download(uid, "default"), audio: download(uid, "audio") },
        ],
      ],
      ["empty", () => [{}, {}]],
    ];
    function download(uid: string, type: "default" | "audio"): DialectDownload {
      const file = type === "default" ? "default.mp4" : "audio.m4a";
      return {
        status: "inprogress",
        percentComplete: 0,
        url: `https://customer-abcdefgh12345678.cloudflarestream.com/${uid}/downloads/${file}`,
      };
    }

    for (const [postShape, expected] of shapes) {
      it(`answers both create routes in the ${postShape} post shape, and lists the same downloads`, async () => {
        await emu.close();
        ({ emu, tick } = await withClock({ customerCode: "abcdefgh12345678", downloadUrls: "cloudflare", postShape }));
        const uid = emu.createVideo(ACCOUNT);
        const typed = result(await call(emu, "POST", videoPath(uid, "/downloads/audio")));
        const legacy = result(await call(emu, "POST", videoPath(uid, "/downloads")));
        assert.deepEqual([typed, legacy], expected(uid));
        const listed = result(await call<WireDownloads>(emu, "GET", videoPath(uid, "/downloads")));
        assert.deepEqual(listed, { default: download(uid, "default"), audio: download(uid, "audio") });
      });
    }

    it("answers with the single download by default, and reads the post shape anew for each request", async () => {
      const uid = emu.createVideo(ACCOUNT);
      assert.equal(emu.options.postShape, "single");
      const first = result(await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads/audio")));
      assert.equal(first.status, "inprogress");
      emu.options.postShape = "keyed";
      const second = result(await call<WireDownloads>(emu, "POST", videoPath(uid, "/downloads/audio")));
      assert.deepEqual(Object.keys(second), ["audio"]);
      emu.options.postShape = "empty";
      assert.deepEqual(result(await call(emu, "POST", videoPath(uid, "/downloads"))), {});
    });

    it("answers each account in its own dialect when accountDialects names it, the others in the emulator's", async () => {
      emu.options.accountDialects = { [OTHER_ACCOUNT]: { postShape: "keyed", emptyList: "null" } };
      const mine = emu.createVideo(ACCOUNT);
      const other = emu.createVideo(OTHER_ACCOUNT);
      const otherPath = (rest: string) => `/accounts/${OTHER_ACCOUNT}/stream/${other}${rest}`;
      assert.deepEqual(result(await call(emu, "GET", videoPath(mine, "/downloads"))), {});
      assert.equal((await call(emu, "GET", otherPath("/downloads"))).body.result, null);
      const single = result(await call<WireDownload>(emu, "POST", videoPath(mine, "/downloads/audio")));
      assert.equal(single.status, "inprogress");
      const keyed = result(await call<WireDownloads>(emu, "POST", otherPath("/downloads/audio")));
      assert.deepEqual(Object.keys(keyed), ["audio"]);
      emu.options.accountDialects = {};
      const now = result(await call<WireDownload>(emu, "POST", otherPath("/downloads/default")));
      assert.equal(now.status, "inprogress", "read anew for each request");
      emu.options.accountDialects = { [OTHER_ACCOUNT]: { postShape: undefined } };
      const unset = result(await call<WireDownload>(emu, "POST", otherPath("/downloads/audio")));
      assert.equal(unset.status, "inprogress", "a field given as undefined leaves the emulator's own");
    });

    it("keeps percentComplete at 0 until ready in coarse progress, in the list and in create results", async () => {
      emu.options.progress = "coarse";
      const uid = emu.createVideo(ACCOUNT);
      const created = result(await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads/default")));
      assert.deepEqual([created.status, created.percentComplete], ["inprogress", 0]);
      const seen: Array<[string | undefined, number | undefined]> = [];
      for (let i = 0; i < 4; i++) {
        tick(250);
        const d = result(await call<WireDownloads>(emu, "GET", videoPath(uid, "/downloads"))).default;
        seen.push([d?.status, d?.percentComplete]);
      }
      assert.deepEqual(seen, [
        ["inprogress", 0],
        ["inprogress", 0],
        ["inprogress", 0],
        ["ready", 100],
      ]);
      emu.options.postShape = "keyed";
      tick(-500); // back to mid-generation: a create that finds the download reports it coarsely too
      const again = result(await call<WireDownloads>(emu, "POST", videoPath(uid, "/downloads/default")));
      assert.deepEqual([again.default?.status, again.default?.percentComplete], ["inprogress", 0]);
      assert.equal(emu.downloads(ACCOUNT, uid).default?.percentComplete, 50, "the control view stays smooth");
    });

    it("reports a failed download's percentComplete as 0 in coarse progress", async () => {
      emu.options.progress = "coarse";
      const uid = emu.createVideo(ACCOUNT);
      emu.failNextDownloads({ afterMs: 400 });
      await call(emu, "POST", videoPath(uid, "/downloads/default"));
      tick(500);
      const d = result(await call<WireDownloads>(emu, "GET", videoPath(uid, "/downloads"))).default;
      assert.deepEqual([d?.status, d?.percentComplete], ["error", 0]);
    });

    it("sends the video's pctComplete as a number and leaves out readyToStream when told to", async () => {
      emu.options.videoDialect = { pctCompleteAsNumber: true, omitReadyToStream: true };
      const uid = emu.createVideo(ACCOUNT, { readyMs: 1000 });
      tick(600);
      const processing = result(await call<DialectVideo>(emu, "GET", videoPath(uid)));
      assert.equal(processing.status.pctComplete, 50);
      assert.equal("readyToStream" in processing, false);
      tick(400);
      const ready = result(await call<DialectVideo>(emu, "GET", videoPath(uid)));
      assert.deepEqual([ready.status.state, ready.status.pctComplete, "readyToStream" in ready], ["ready", 100, false]);

      emu.options.videoDialect = {};
      const documented = result(await call<WireVideo>(emu, "GET", videoPath(uid)));
      assert.deepEqual([documented.status.pctComplete, documented.readyToStream], ["100", true]);
    });

    it("sends percentComplete as a string and no url until ready when told to", async () => {
      emu.options.downloadDialect = { percentAsString: true, omitUrlWhileInProgress: true };
      const uid = emu.createVideo(ACCOUNT);
      const created = result(await call<DialectDownload>(emu, "POST", videoPath(uid, "/downloads/default")));
      assert.deepEqual(created, { status: "inprogress", percentComplete: "0" });
      tick(250);
      const quarter = result(await call<Record<string, DialectDownload>>(emu, "GET", videoPath(uid, "/downloads")));
      assert.deepEqual(quarter.default, { status: "inprogress", percentComplete: "25" });
      tick(750);
      const ready = result(await call<Record<string, DialectDownload>>(emu, "GET", videoPath(uid, "/downloads")));
      assert.equal(ready.default?.percentComplete, "100");
      assert.match(ready.default?.url ?? "", /\/default\.mp4$/);
    });

    it("reports an extra status for the first half of generation, then inprogress, then ready", async () => {
      emu.options.downloadDialect = { extraStatus: "queued" };
      const uid = emu.createVideo(ACCOUNT);
      const created = result(await call<DialectDownload>(emu, "POST", videoPath(uid, "/downloads/audio")));
      assert.equal(created.status, "queued");
      const statuses: Array<string | undefined> = [];
      for (let i = 0; i < 4; i++) {
        tick(250);
        statuses.push(
          result(await call<Record<string, DialectDownload>>(emu, "GET", videoPath(uid, "/downloads"))).audio?.status,
        );
      }
      assert.deepEqual(statuses, ["queued", "inprogress", "inprogress", "ready"]);
    });

    it("says 'no downloads' in each empty-list form, and lists downloads the same in every form", async () => {
      const uid = emu.createVideo(ACCOUNT);
      assert.equal(emu.options.emptyList, "object");
      const forms: Array<[EmptyListForm, boolean, unknown]> = [
        ["object", true, {}],
        ["null", true, null],
        ["absent", false, undefined],
        ["array", true, []],
      ];
      for (const [form, hasKey, expected] of forms) {
        emu.options.emptyList = form;
        const reply = await call(emu, "GET", videoPath(uid, "/downloads"));
        assert.equal(reply.body.success, true, form);
        assert.equal("result" in reply.body, hasKey, `${form}: result key`);
        assert.deepEqual(reply.body.result, expected, form);
      }
      await call(emu, "POST", videoPath(uid, "/downloads/audio"));
      const listed = result(await call<WireDownloads>(emu, "GET", videoPath(uid, "/downloads")));
      assert.deepEqual(Object.keys(listed), ["audio"], "a list with downloads is an object in every form");
    });

    it("refuses an unknown post shape, progress or extra status, naming the option and the value", async () => {
      const bad: Array<[EmulatorOptions, RegExp]> = [
        [{ postShape: "list" as PostShape }, /postShape.*"list"/],
        [{ progress: "fine" as "smooth" }, /progress.*"fine"/],
        [{ emptyList: "none" as EmptyListForm }, /emptyList must be object, null, absent or array.*"none"/],
        [{ downloadDialect: { extraStatus: "ready" } }, /extraStatus.*"ready"/],
        [{ downloadDialect: { extraStatus: "" } }, /extraStatus.*""/],
        [
          { accountDialects: { [ACCOUNT]: { postShape: "list" as PostShape } } },
          /accountDialects\[".{32}"\]\.postShape.*"list"/,
        ],
      ];
      for (const [options, message] of bad) {
        await assert.rejects(
          startEmulator(options),
          (e: unknown) => e instanceof RangeError && message.test(e.message),
        );
      }
    });
  });

  describe("authentication", () => {
    it("accepts the configured API token and the configured key pair", async () => {
      const uid = emu.createVideo(ACCOUNT);
      assert.equal((await call(emu, "GET", videoPath(uid), { headers: TOKEN })).status, 200);
      const keyPair = { "X-Auth-Email": "test@example.com", "X-Auth-Key": "test-key" };
      assert.equal((await call(emu, "GET", videoPath(uid), { headers: keyPair })).status, 200);
    });

    it("answers 401 code 10000 when no credential is sent, or an empty Bearer token", async () => {
      const uid = emu.createVideo(ACCOUNT);
      for (const headers of [{}, { Authorization: "Bearer " }] as Array<Record<string, string>>) {
        const reply = await call(emu, "GET", videoPath(uid), { headers });
        assert.equal(reply.status, 401, JSON.stringify(headers));
        assert.deepEqual(reply.body.errors, [{ code: 10000, message: "Authentication error" }]);
      }
    });

    it("answers 403 for a wrong token or a wrong key pair, and 400 for a malformed Authorization header", async () => {
      const uid = emu.createVideo(ACCOUNT);
      const wrong: Array<Record<string, string>> = [
        { Authorization: "Bearer wrong-token" },
        { "X-Auth-Email": "test@example.com", "X-Auth-Key": "wrong-key" },
        { "X-Auth-Email": "someone@example.com", "X-Auth-Key": "test-key" },
        { "X-Auth-Key": "test-key" },
      ];
      for (const headers of wrong) {
        const reply = await call(emu, "GET", videoPath(uid), { headers });
        assert.equal(reply.status, 403, JSON.stringify(headers));
        assert.equal(reply.body.errors[0]?.code, 10000);
      }
      const malformed = await call(emu, "GET", videoPath(uid), { headers: { Authorization: "Basic dGVzdA==" } });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.errors[0]?.code, 6003);
    });
  });

  describe("rate limiting", () => {
    it("sends Ratelimit and Ratelimit-Policy headers on every response, Cloudflare's numbers by default", async () => {
      const first = await call(emu, "GET", videoPath(MISSING_UID));
      assert.equal(first.headers.get("ratelimit"), '"default";r=1199;t=300');
      assert.equal(first.headers.get("ratelimit-policy"), '"default";q=1200;w=300');
      assert.equal(first.headers.get("retry-after"), null);
      const second = await call(emu, "GET", "/no/route", { headers: {} });
      assert.equal(second.headers.get("ratelimit-policy"), '"default";q=1200;w=300');
    });

    it("answers 429 with Retry-After once the limit is passed, until the block ends", async () => {
      emu.options.rateLimit = { limit: 3, windowMs: 10_000, blockMs: 5_000 };
      const uid = emu.createVideo(ACCOUNT);
      const remaining: Array<string | null> = [];
      for (let i = 0; i < 3; i++) {
        const reply = await call(emu, "GET", videoPath(uid));
        assert.equal(reply.status, 200);
        remaining.push(reply.headers.get("ratelimit"));
        tick(1000);
      }
      assert.deepEqual(remaining, ['"default";r=2;t=10', '"default";r=1;t=9', '"default";r=0;t=8']);

      const limited = await call(emu, "GET", videoPath(uid));
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), "5");
      assert.deepEqual(limited.body.errors, [
        { code: 971, message: "Please wait and consider throttling your request speed" },
      ]);

      tick(2500); // still blocked, even though the window has passed its limit long ago
      const still = await call(emu, "GET", videoPath(uid));
      assert.equal(still.status, 429);
      assert.equal(still.headers.get("retry-after"), "3", "rounded up");

      tick(2500);
      const after = await call(emu, "GET", videoPath(uid));
      assert.equal(after.status, 200);
      assert.equal(after.headers.get("ratelimit"), '"default";r=2;t=10');
    });

    it("counts each credential separately, whatever the outcome of its requests", async () => {
      emu.options.rateLimit = { limit: 2, windowMs: 60_000, blockMs: 60_000 };
      const uid = emu.createVideo(ACCOUNT);
      assert.equal((await call(emu, "GET", videoPath(MISSING_UID))).status, 404);
      assert.equal((await call(emu, "GET", "/no/route")).status, 404);
      assert.equal((await call(emu, "GET", videoPath(uid))).status, 429);
      const keyPair = { "X-Auth-Email": "test@example.com", "X-Auth-Key": "test-key" };
      assert.equal((await call(emu, "GET", videoPath(uid), { headers: keyPair })).status, 200);
    });

    it("answers a block without Retry-After when told to, changeable on a running emulator", async () => {
      emu.options.rateLimit = { limit: 1, windowMs: 10_000, blockMs: 5_000, retryAfter: false };
      const uid = emu.createVideo(ACCOUNT);
      assert.equal((await call(emu, "GET", videoPath(uid))).status, 200);
      const limited = await call(emu, "GET", videoPath(uid));
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), null, "no Retry-After");
      assert.equal(limited.headers.get("ratelimit-policy"), '"default";q=1;w=10', "the headers still come");
      emu.options.rateLimit = { ...emu.options.rateLimit, retryAfter: true };
      assert.equal((await call(emu, "GET", videoPath(uid))).headers.get("retry-after"), "5");
      tick(5000);
      assert.equal((await call(emu, "GET", videoPath(uid))).status, 200, "the block ends as before");
    });

    it("lets a test spend a token's quota as another client would, and counts each window", async () => {
      emu.options.rateLimit = { limit: 10, windowMs: 10_000, blockMs: 5_000 };
      const uid = emu.createVideo(ACCOUNT);
      assert.equal((await call(emu, "GET", videoPath(uid))).headers.get("ratelimit"), '"default";r=9;t=10');
      emu.spendQuota("test-token", 6);
      assert.equal((await call(emu, "GET", videoPath(uid))).headers.get("ratelimit"), '"default";r=2;t=10');
      emu.spendQuota("another-token", 50);
      assert.equal((await call(emu, "GET", videoPath(uid))).headers.get("ratelimit"), '"default";r=1;t=10');
      emu.spendQuota("test-token", 5);
      assert.equal((await call(emu, "GET", videoPath(uid))).status, 429, "past the limit: blocked");
      assert.deepEqual(emu.rateLimitWindows("test-token"), [{ start: emu.options.now(), allowed: 10, refused: 5 }]);
      tick(5000);
      assert.equal((await call(emu, "GET", videoPath(uid))).status, 200);
      assert.deepEqual(
        emu.rateLimitWindows("test-token").map((w) => [w.allowed, w.refused]),
        [
          [10, 5],
          [1, 0],
        ],
      );
    });

    it("can be turned off", async () => {
      await emu.close();
      emu = await startEmulator({ rateLimit: false });
      const reply = await call(emu, "GET", videoPath(MISSING_UID));
      assert.equal(reply.headers.get("ratelimit"), null);
    });
  });

  describe("faults", () => {
    it("answers a status fault with a Cloudflare error envelope, or the raw body and headers given", async () => {
      const uid = emu.createVideo(ACCOUNT);
      emu.addFault({ fault: { kind: "status", status: 500 } });
      const plain = await call(emu, "GET", videoPath(uid));
      assert.equal(plain.status, 500);
      assert.equal(plain.body.success, false);
      assert.match(plain.body.errors[0]?.message ?? "", /Internal error/);

      emu.addFault({ fault: { kind: "status", status: 503, body: '{"oops":true}', headers: { "Retry-After": "2" } } });
      const raw = await call(emu, "GET", videoPath(uid));
      assert.equal(raw.status, 503);
      assert.deepEqual(raw.body, { oops: true });
      assert.equal(raw.headers.get("retry-after"), "2");
      assert.equal((await call(emu, "GET", videoPath(uid))).status, 200, "each rule applied once by default");
    });

    it("applies a rule only to matching requests, after skip, for times requests", async () => {
      const uid = emu.createVideo(ACCOUNT);
      const rule = emu.addFault({
        method: "post",
        path: /\/downloads\/audio$/,
        skip: 1,
        times: 2,
        fault: { kind: "status", status: 502 },
      });
      assert.equal((await call(emu, "GET", videoPath(uid, "/downloads"))).status, 200, "other method");
      assert.equal((await call(emu, "POST", videoPath(uid, "/downloads/default"))).status, 200, "other path");
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await call(emu, "POST", videoPath(uid, "/downloads/audio"))).status);
      assert.deepEqual(statuses, [200, 502, 502, 200]);
      assert.equal(rule.applied, 2);

      emu.addFault({ path: "/downloads", times: Infinity, fault: { kind: "status", status: 500 } });
      emu.clearFaults();
      assert.equal((await call(emu, "GET", videoPath(uid, "/downloads"))).status, 200);
    });

    it("sends an HTML error page like a proxy would", async () => {
      emu.addFault({ fault: { kind: "html", status: 502 } });
      const response = await fetch(`${emu.baseUrl}${videoPath(MISSING_UID)}`, { headers: TOKEN });
      assert.equal(response.status, 502);
      assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(await response.text(), /<title>502 Bad Gateway<\/title>/);
    });

    it("resets the connection so the client gets a socket error", async () => {
      emu.addFault({ fault: { kind: "reset" } });
      await assert.rejects(
        fetch(`${emu.baseUrl}${videoPath(MISSING_UID)}`, { headers: TOKEN }),
        /ECONNRESET|socket hang up/,
      );
      assert.equal(emu.requests.at(-1)?.fault, "reset");
      assert.equal(emu.requests.at(-1)?.status, 0);
    });

    it("hangs until the client aborts, and close() still resolves at once with a request hanging", async () => {
      emu.addFault({ times: Infinity, fault: { kind: "hang" } });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(
        fetch(`${emu.baseUrl}${videoPath(MISSING_UID)}`, { headers: TOKEN, signal: controller.signal }),
        {
          name: "AbortError",
        },
      );

      const hanging = fetch(`${emu.baseUrl}${videoPath(MISSING_UID)}`, { headers: TOKEN }).then(
        () => "answered",
        () => "failed",
      );
      while (emu.requests.length < 2) await new Promise((r) => setTimeout(r, 5));
      // The hang never ends by itself (no timeout on either side), so close() resolving at all shows it did not
      // wait for the request; and the request fails only because close() cut it.
      const events: string[] = [];
      void hanging.then((outcome) => events.push(`request ${outcome}`));
      await emu.close();
      events.push("closed");
      assert.equal(await hanging, "failed");
      assert.deepEqual(events, ["closed", "request failed"]);
    });

    it("sends a truncated JSON body that fails to parse", async () => {
      emu.addFault({ fault: { kind: "malformed" } });
      const response = await fetch(`${emu.baseUrl}${videoPath(MISSING_UID)}`, { headers: TOKEN });
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /json/);
      const text = await response.text();
      assert.throws(() => JSON.parse(text), SyntaxError);
    });

    it("answers 200 with success false and an error", async () => {
      emu.addFault({ fault: { kind: "successFalse" } });
      const reply = await call(emu, "GET", videoPath(MISSING_UID));
      assert.equal(reply.status, 200);
      assert.equal(reply.body.success, false);
      assert.equal(reply.body.result, null);
      assert.equal(reply.body.errors.length, 1);
    });

    it("delays a request and then handles it normally", async () => {
      const uid = emu.createVideo(ACCOUNT);
      emu.addFault({ fault: { kind: "delay", ms: 120 } });
      const started = Date.now();
      const reply = await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads/default"));
      assert.ok(Date.now() - started >= 110);
      assert.equal(result(reply).status, "inprogress");
      assert.equal(emu.requests.at(-1)?.fault, "delay:120");
    });

    it("handles a request whose response it then drops, so the change happens but the client sees a socket error", async () => {
      const uid = emu.createVideo(ACCOUNT);
      emu.addFault({ method: "POST", fault: { kind: "dropResponse" } });
      await assert.rejects(
        fetch(`${emu.baseUrl}${videoPath(uid, "/downloads/audio")}`, { method: "POST", headers: TOKEN }),
        /ECONNRESET|socket hang up/,
      );
      assert.deepEqual(
        emu.storedDownloads(ACCOUNT, uid).map((d) => d.type),
        ["audio"],
        "the download was created",
      );
      assert.equal(emu.requests.at(-1)?.fault, "dropResponse");
      assert.equal(emu.requests.at(-1)?.status, 0, "no response was sent");
      const again = await call<WireDownload>(emu, "POST", videoPath(uid, "/downloads/audio"));
      assert.equal(result(again).status, "inprogress", "the next request is answered");
    });

    it("answers 429 with the Retry-After given", async () => {
      emu.addFault({ fault: { kind: "rateLimited", retryAfterSeconds: 7 } });
      const reply = await call(emu, "GET", videoPath(MISSING_UID));
      assert.equal(reply.status, 429);
      assert.equal(reply.headers.get("retry-after"), "7");
      assert.equal(reply.body.errors[0]?.code, 971);
    });

    it("fails requests at random, the same way again for the same seed", async () => {
      const uid = emu.createVideo(ACCOUNT);
      const run = async (seed: number): Promise<string[]> => {
        emu.setRandomFailures({ rate: 0.4, seed });
        const outcomes: string[] = [];
        for (let i = 0; i < 25; i++) {
          outcomes.push(
            await fetch(`${emu.baseUrl}${videoPath(uid)}`, { headers: TOKEN }).then(
              (r) => String(r.status),
              () => "socket error",
            ),
          );
        }
        return outcomes;
      };
      const first = await run(7);
      const again = await run(7);
      const other = await run(8);
      assert.deepEqual(again, first);
      assert.notDeepEqual(other, first);
      assert.ok(first.includes("200") && first.some((o) => o !== "200"), first.join());
      emu.setRandomFailures(null);
      assert.equal((await call(emu, "GET", videoPath(uid))).status, 200);
    });
  });

  describe("request log", () => {
    it("records every request in order, with credentials redacted", async () => {
      const uid = emu.createVideo(ACCOUNT);
      await call(emu, "POST", videoPath(uid, "/downloads/audio?x=1"));
      await call(emu, "GET", videoPath(uid), {
        headers: { "X-Auth-Email": "test@example.com", "X-Auth-Key": "test-key" },
      });
      emu.addFault({ fault: { kind: "status", status: 503 } });
      await call(emu, "GET", "/nowhere", { headers: {} });

      assert.deepEqual(
        emu.requests.map((r) => [r.method, r.path, r.status, r.auth, r.fault]),
        [
          ["POST", videoPath(uid, "/downloads/audio"), 200, "bearer", undefined],
          ["GET", videoPath(uid), 200, "key", undefined],
          ["GET", "/nowhere", 503, "none", "status:503"],
        ],
      );
      assert.deepEqual(
        emu.requests.map((r) => r.seq),
        [1, 2, 3],
      );
      assert.equal(emu.requests[0]?.headers.authorization, "[redacted]");
      assert.equal(emu.requests[1]?.headers["x-auth-key"], "[redacted]");
      assert.equal(emu.requests[1]?.headers["x-auth-email"], "test@example.com");
      const logged = JSON.stringify(emu.requests);
      assert.ok(!logged.includes("test-token") && !logged.includes("test-key"), "no credential in the log");

      emu.resetRequests();
      assert.equal(emu.requests.length, 0);
      await call(emu, "GET", videoPath(uid));
      assert.equal(emu.requests[0]?.seq, 4);
    });
  });

  describe("command line", () => {
    const run = (args: string[]) =>
      spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "src/emulator/main.ts", ...args], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });

    it("prints its listening line, logs requests without credentials and exits 0 on SIGTERM", async () => {
      const child = run(["--port", "0", "--token", "cli-secret-token", "--generation-ms", "50", "--rate-limit", "off"]);
      let stdout = "";
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const baseUrl = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /^Cloudflare Stream emulator listening on (http:\/\/127\.0\.0\.1:\d+\/client\/v4)\n/.exec(
            stdout,
          );
          if (match?.[1]) resolve(match[1]);
        });
        void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      assert.doesNotMatch(baseUrl, /:0\//);
      const response = await fetch(`${baseUrl}${videoPath(MISSING_UID)}`, {
        headers: { Authorization: "Bearer cli-secret-token" },
      });
      assert.equal(response.status, 404);
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
      assert.equal(stdout.split("\n").filter(Boolean).length, 1, "exactly one line on stdout");
      assert.match(stderr, new RegExp(`GET ${videoPath(MISSING_UID)} 404 \\d+ms`));
      assert.ok(!stderr.includes("cli-secret-token"));
    });

    it("parses the dialect flags, in both --flag value and --flag=value forms", () => {
      assert.deepEqual(parseArgs(["--post-shape", "keyed", "--progress=coarse"]), {
        help: false,
        options: { postShape: "keyed", progress: "coarse" },
      });
      assert.deepEqual(parseArgs(["--post-shape=empty"]), { help: false, options: { postShape: "empty" } });
      assert.deepEqual(parseArgs(["--empty-list", "absent"]), { help: false, options: { emptyList: "absent" } });
      assert.deepEqual(parseArgs([]), { help: false, options: {} }, "no flag leaves the defaults to the emulator");
    });

    it("parses the rate-limit flags: quota, window, block, Retry-After", () => {
      assert.deepEqual(
        parseArgs([
          "--rate-limit",
          "40",
          "--rate-limit-window=10",
          "--rate-limit-block",
          "6",
          "--rate-limit-retry-after=off",
        ]),
        { help: false, options: { rateLimit: { limit: 40, windowMs: 10_000, blockMs: 6000, retryAfter: false } } },
      );
      assert.deepEqual(parseArgs(["--rate-limit-retry-after", "on"]), {
        help: false,
        options: { rateLimit: { limit: 1200, windowMs: 300_000, blockMs: 300_000, retryAfter: true } },
      });
      assert.deepEqual(parseArgs(["--rate-limit", "off"]), { help: false, options: { rateLimit: false } });
      assert.throws(() => parseArgs(["--rate-limit-window", "0"]), /--rate-limit-window: "0"/);
      assert.throws(() => parseArgs(["--rate-limit-retry-after", "no"]), /expected one of on, off/);
    });

    it("refuses a dialect flag with a value it does not know, naming the flag, the value and the choices", () => {
      for (const [args, message] of [
        [["--post-shape", "list"], /--post-shape: "list" \(expected one of keyed, single, empty\)/],
        [["--progress=fine"], /--progress: "fine" \(expected one of smooth, coarse\)/],
        [["--empty-list=none"], /--empty-list: "none" \(expected one of object, null, absent, array\)/],
        [["--post-shape"], /missing value for --post-shape/],
      ] as const) {
        assert.throws(
          () => parseArgs(args),
          (e: unknown) => e instanceof UsageError && message.test(e.message),
        );
      }
    });

    it("refuses a bad flag value with a message naming it, exit code 2", async () => {
      const child = run(["--generation-ms", "soon"]);
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
      assert.equal(code, 2);
      assert.match(stderr, /--generation-ms.*"soon"/);
    });
  });
});
