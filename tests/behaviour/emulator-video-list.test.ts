/**
 * The emulator's video list, `GET /accounts/{id}/stream`, over real HTTP: the documented filters, limit, order,
 * cursor and counts; its dialects, faults and rate limit; and the videos' durations, which set their downloads'
 * generation time when asked.
 */
import assert from "node:assert/strict";
import Cloudflare from "cloudflare";
import fetch from "node-fetch";
import type { WireEnvelope, WireVideo } from "../../src/core/wire";
import { parseArgs } from "../../src/emulator/main";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../src/emulator/server";
import { cfId, TOKEN } from "../helpers/fixtures";

type ListEnvelope = WireEnvelope<unknown> & { total?: number; range?: number };

/** An emulator on a clock that moves only when the test says. */
async function emulatorAt(options: EmulatorOptions = {}): Promise<{ emu: Emulator; tick(ms: number): void }> {
  let clock = 1_800_000_000_000;
  const emu = await startEmulator({ token: TOKEN, now: () => clock, rateLimit: false, ...options });
  return { emu, tick: (ms) => (clock += ms) };
}

async function get(emu: Emulator, path: string): Promise<{ status: number; body: ListEnvelope }> {
  const response = await fetch(`${emu.baseUrl}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return { status: response.status, body: (await response.json()) as ListEnvelope };
}

/** The listed videos of a successful answer. */
async function list(emu: Emulator, account: string, query = ""): Promise<WireVideo[]> {
  const { status, body } = await get(emu, `/accounts/${account}/stream${query}`);
  assert.equal(status, 200, JSON.stringify(body.errors));
  assert.ok(Array.isArray(body.result), `result is an array: ${JSON.stringify(body.result)}`);
  return body.result as WireVideo[];
}

const uids = (videos: WireVideo[]): string[] => videos.map((v) => v.uid);

describe("emulator: the video list", () => {
  const account = cfId();
  let emu: Emulator;
  let tick: (ms: number) => void;

  beforeEach(async () => ({ emu, tick } = await emulatorAt({ generationMs: 1000 })));
  afterEach(() => emu.close());

  it("lists each video as GET /stream/{id} shows it, with duration, size, created and requireSignedURLs", async () => {
    const ready = emu.createVideo(account, { durationSeconds: 90 });
    const signed = emu.createVideo(account, { requireSignedURLs: true });
    const pending = emu.createVideo(account, { readyMs: 5000 });
    const listed = await list(emu, account);

    assert.equal(listed.length, 3);
    for (const video of listed) {
      const single = await get(emu, `/accounts/${account}/stream/${video.uid}`);
      assert.deepEqual(video, single.body.result, "the same object as the video's own GET");
    }
    const byUid = new Map(listed.map((v) => [v.uid, v]));
    assert.equal(byUid.get(ready)?.duration, 90);
    assert.equal(byUid.get(ready)?.size, Math.round(90 * 335_277));
    assert.equal(byUid.get(signed)?.requireSignedURLs, true);
    assert.equal(byUid.get(pending)?.readyToStream, false);
    assert.equal(byUid.get(pending)?.duration, -1, "a duration of -1 until the video is ready");
    assert.equal(byUid.get(pending)?.status.state, "queued");
  });

  it("filters by one id or a comma-separated list, never listing another account's videos", async () => {
    const [a, b, c] = [emu.createVideo(account), emu.createVideo(account), emu.createVideo(account)];
    const elsewhere = emu.createVideo(cfId());

    assert.deepEqual(uids(await list(emu, account, `?id=${b}`)), [b]);
    assert.deepEqual(new Set(uids(await list(emu, account, `?id=${a},${c},${elsewhere},${cfId()}`))), new Set([a, c]));
    assert.deepEqual(new Set(uids(await list(emu, account, `?id=${a}%2C${b}`))), new Set([a, b]), "an encoded comma");
    assert.deepEqual(new Set(uids(await list(emu, account, `?id=${a}&id=${c}`))), new Set([a, c]), "id repeated");
    assert.deepEqual(await list(emu, account, `?id=${cfId()}`), [], "no match: an empty array");
  });

  it("lists newest first, oldest first with asc=true, and at most `limit` (default and most 1000)", async () => {
    const made: string[] = [];
    for (let i = 0; i < 1001; i++) {
      made.push(emu.createVideo(account));
      if (i % 10 === 0) tick(1); // some share a millisecond, some do not: the order holds either way
    }
    const newest = await list(emu, account);
    assert.equal(newest.length, 1000, "the default limit is 1000");
    assert.deepEqual(uids(newest), made.slice(1).reverse());
    assert.deepEqual(uids(await list(emu, account, "?asc=true&limit=3")), made.slice(0, 3));
    assert.deepEqual(uids(await list(emu, account, "?limit=2")), made.slice(-2).reverse());
    assert.equal((await list(emu, account, "?limit=1000")).length, 1000);
  });

  it("pages through every video exactly once with the cursor, both ways, by the created time of the last one", async () => {
    const made = Array.from({ length: 7 }, () => emu.createVideo(account)); // all in one millisecond
    const seen: string[] = [];
    let query = "?limit=3";
    for (let page = 0; page < 5; page++) {
      const videos = await list(emu, account, query);
      if (videos.length === 0) break;
      seen.push(...uids(videos));
      query = `?limit=3&before=${encodeURIComponent(String(videos[videos.length - 1]?.created))}`;
    }
    assert.deepEqual(seen, [...made].reverse());

    const forward: string[] = [];
    query = "?asc=true&limit=4";
    for (let page = 0; page < 5; page++) {
      const videos = await list(emu, account, query);
      if (videos.length === 0) break;
      forward.push(...uids(videos));
      query = `?asc=true&limit=4&start=${encodeURIComponent(String(videos[videos.length - 1]?.created))}`;
    }
    assert.deepEqual(forward, made, "start is after's alias");
  });

  it("reads the cursor's times in RFC 3339 with any offset and precision; end is before's alias", async () => {
    const early = emu.createVideo(account);
    tick(60_123); // off the second, so that a time cut to the second falls strictly between the two
    const late = emu.createVideo(account);
    const lateCreated = String(emu.getVideo(account, late)?.created);
    const at = new Date(Date.parse(lateCreated));
    // The same instant, one hour east of UTC, to the second: strictly before it is only the early video.
    const east = new Date(at.getTime() + 3_600_000).toISOString().slice(0, 19) + "+01:00";
    assert.deepEqual(uids(await list(emu, account, `?end=${encodeURIComponent(east)}`)), [early]);
    assert.deepEqual(uids(await list(emu, account, `?after=${encodeURIComponent(east)}`)), [late]);
    assert.deepEqual(uids(await list(emu, account, `?before=${encodeURIComponent(lateCreated)}`)), [early]);
  });

  it("adds total and range beside result with include_counts=true, and neither without", async () => {
    const made = Array.from({ length: 5 }, () => emu.createVideo(account));
    const third = String(emu.getVideo(account, made[2] ?? "")?.created);
    const counted = await get(emu, `/accounts/${account}/stream?include_counts=true&limit=1&before=${third}`);
    assert.equal(counted.body.total, 5, "every video matching the filters");
    assert.equal(counted.body.range, 2, "the videos from the cursor on, before the limit");
    assert.equal((counted.body.result as unknown[]).length, 1);
    const filtered = await get(emu, `/accounts/${account}/stream?include_counts=true&id=${made[0]},${made[1]}`);
    assert.deepEqual([filtered.body.total, filtered.body.range], [2, 2]);
    const plain = await get(emu, `/accounts/${account}/stream`);
    assert.deepEqual(Object.keys(plain.body).sort(), ["errors", "messages", "result", "success"]);
  });

  it("refuses a bad limit, asc, include_counts or cursor with a 400 naming the parameter and value", async () => {
    for (const [query, name] of [
      ["?limit=0", "limit"],
      ["?limit=1001", "limit"],
      ["?limit=ten", "limit"],
      ["?asc=yes", "asc"],
      ["?include_counts=1", "include_counts"],
      ["?before=yesterday", "before"],
      ["?end=2026-02-30T00:00:00Z", "end"],
      ["?after=2026-01-01T00:00:00", "after"],
      ["?start=2026-01-01T00:00:00+01:00", "start"], // an unencoded + reads as a space
    ] as const) {
      const reply = await get(emu, `/accounts/${account}/stream${query}`);
      assert.equal(reply.status, 400, query);
      assert.equal(reply.body.success, false);
      const message = reply.body.errors[0]?.message ?? "";
      assert.ok(message.startsWith(`${name}: `), `${query}: ${message}`);
      assert.ok(message.includes(`"${decodeURIComponent(query.split("=")[1] ?? "").replace("+", " ")}"`), message);
    }
  });

  it("answers in the video dialect, keyed by uid with videoList object, and 403 with videoList forbidden", async () => {
    const uid = emu.createVideo(account, { readyMs: 1000 });
    tick(500);
    emu.options.videoDialect = { pctCompleteAsNumber: true, omitReadyToStream: true };
    const [video] = await list(emu, account);
    assert.equal(typeof video?.status.pctComplete, "number");
    assert.equal("readyToStream" in (video ?? {}), false);

    emu.options.videoList = "object";
    const keyed = await get(emu, `/accounts/${account}/stream`);
    assert.equal(keyed.status, 200);
    assert.deepEqual(Object.keys(keyed.body.result as object), [uid]);

    emu.options.videoList = "forbidden";
    const refused = await get(emu, `/accounts/${account}/stream?id=${uid}`);
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body.errors, [{ code: 10000, message: "Authentication error" }]);
    assert.equal((await get(emu, `/accounts/${account}/stream/${uid}`)).status, 200, "the video's own read works");
  });

  it("counts against the rate limit like any call, and takes faults on its path", async () => {
    emu.options.rateLimit = { limit: 2, windowMs: 60_000, blockMs: 60_000 };
    assert.equal((await get(emu, `/accounts/${account}/stream`)).status, 200);
    assert.equal((await get(emu, `/accounts/${account}/stream`)).status, 200);
    assert.equal((await get(emu, `/accounts/${account}/stream`)).status, 429);
    tick(60_000);
    emu.addFault({ method: "GET", path: /\/stream$/, fault: { kind: "status", status: 503 } });
    assert.equal((await get(emu, `/accounts/${account}/stream?id=${cfId()}`)).status, 503);
    assert.equal(emu.requests[emu.requests.length - 1]?.path, `/accounts/${account}/stream`, "logged without query");
  });

  it("answers Cloudflare's own SDK, whose list sends id, limit, asc and include_counts", async () => {
    const [a, b] = [emu.createVideo(account), emu.createVideo(account)];
    emu.createVideo(account);
    const sdk = new Cloudflare({ apiToken: TOKEN, baseURL: emu.baseUrl, maxRetries: 0 });
    const page = await sdk.stream.list({
      account_id: account,
      id: `${a},${b}`,
      limit: 10,
      asc: true,
      include_counts: true,
    });
    assert.deepEqual(
      page.getPaginatedItems().map((v) => v.uid),
      [a, b],
    );
  });
});

describe("emulator: video durations and generation time", () => {
  const account = cfId();
  let emu: Emulator;
  let tick: (ms: number) => void;
  afterEach(() => emu.close());

  it("makes generation time generationMs plus generationMsPerVideoSecond for each second of the video", async () => {
    ({ emu, tick } = await emulatorAt({ generationMs: 200, generationMsPerVideoSecond: 50 }));
    const short = emu.createVideo(account, { durationSeconds: 10 });
    const long = emu.createVideo(account, { durationSeconds: 60 });
    emu.createDownload(account, short, "default");
    emu.createDownload(account, long, "audio");
    const readyIn = (uid: string) => {
      const [d] = emu.storedDownloads(account, uid);
      return (d?.readyAt ?? 0) - (d?.createdAt ?? 0);
    };
    assert.equal(readyIn(short), 200 + 10 * 50);
    assert.equal(readyIn(long), 200 + 60 * 50);
    tick(700);
    assert.equal(emu.downloads(account, short).default?.status, "ready");
    assert.equal(emu.downloads(account, long).audio?.status, "inprogress");
    tick(2500);
    assert.equal(emu.downloads(account, long).audio?.status, "ready");
  });

  it("gives every video videoDurationSeconds unless created with its own, and keeps generationMs alone by default", async () => {
    ({ emu, tick } = await emulatorAt({ generationMs: 300, videoDurationSeconds: 42 }));
    const uid = emu.createVideo(account);
    assert.equal(emu.getVideo(account, uid)?.duration, 42);
    emu.createDownload(account, uid, "default");
    const [d] = emu.storedDownloads(account, uid);
    assert.equal((d?.readyAt ?? 0) - (d?.createdAt ?? 0), 300);
  });

  it("refuses a duration or a per-second time that is not a positive number, naming it", async () => {
    await assert.rejects(
      startEmulator({ videoDurationSeconds: 0 }),
      /videoDurationSeconds must be a number of seconds > 0/,
    );
    await assert.rejects(startEmulator({ generationMsPerVideoSecond: -1 }), /generationMsPerVideoSecond/);
    await assert.rejects(startEmulator({ videoList: "csv" as never }), /videoList must be array, object or forbidden/);
    await assert.rejects(
      startEmulator({ downloadUrls: "cdn" as never }),
      /downloadUrls must be cloudflare or emulator/,
    );
    ({ emu } = await emulatorAt());
    assert.throws(() => emu.createVideo(account, { durationSeconds: Number.NaN }), /durationSeconds must be/);
  });

  it("takes the new options from the command line", () => {
    assert.deepEqual(
      parseArgs([
        "--generation-ms-per-video-second",
        "40",
        "--video-duration=3600.5",
        "--download-urls",
        "emulator",
        "--delivery-port=8788",
        "--video-list",
        "forbidden",
      ]),
      {
        help: false,
        options: {
          generationMsPerVideoSecond: 40,
          videoDurationSeconds: 3600.5,
          downloadUrls: "emulator",
          deliveryPort: 8788,
          videoList: "forbidden",
        },
      },
    );
    assert.throws(() => parseArgs(["--video-duration", "0"]), /--video-duration: "0"/);
    assert.throws(
      () => parseArgs(["--video-list", "csv"]),
      /--video-list: "csv" \(expected one of array, object, forbidden\)/,
    );
    assert.throws(() => parseArgs(["--download-urls", "cdn"]), /--download-urls: "cdn"/);
  });
});
