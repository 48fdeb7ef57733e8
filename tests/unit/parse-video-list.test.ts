/**
 * The reader of the video list (`parseVideoList` in src/core/read.ts) and of a video's duration: the documented
 * array, every empty form, what it skips, and generated answers nobody listed (a fixed seed, printed on failure).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseVideo, parseVideoList } from "../../src/core/parse";

const UID_A = "0123456789abcdef0123456789abcdef";
const UID_B = "fedcba9876543210fedcba9876543210";
const SEED = 20261128;

const video = (uid: string, extra: Record<string, unknown> = {}) => ({
  uid,
  readyToStream: true,
  requireSignedURLs: false,
  duration: 12.5,
  status: { state: "ready", pctComplete: "100", errorReasonCode: "", errorReasonText: "" },
  ...extra,
});

describe("parseVideoList", () => {
  it("reads the documented array, each video as parseVideo reads it, keyed by uid", () => {
    const a = video(UID_A, { requireSignedURLs: true, duration: 3600 });
    const b = video(UID_B, { readyToStream: false, duration: -1, status: { state: "inprogress", pctComplete: "40" } });
    const listed = parseVideoList([a, b]);
    assert.deepEqual([...(listed?.keys() ?? [])], [UID_A, UID_B]);
    assert.deepEqual(listed?.get(UID_A), parseVideo(a));
    assert.deepEqual(listed?.get(UID_B), parseVideo(b));
    assert.equal(listed?.get(UID_A)?.durationSeconds, 3600);
    assert.equal(listed?.get(UID_B)?.durationSeconds, undefined, "-1 is unknown");
  });

  it("reads every empty form as a list with no video", () => {
    for (const empty of [[], {}, null, undefined]) assert.deepEqual(parseVideoList(empty), new Map(), String(empty));
  });

  it("gives undefined for a result that is no list: an object with entries, a string, a number", () => {
    for (const other of [{ [UID_A]: video(UID_A) }, { result: [] }, "videos", 3, true]) {
      assert.equal(parseVideoList(other), undefined, JSON.stringify(other));
    }
  });

  it("skips entries it cannot attribute (no uid, or one over 64 characters), and keeps the first entry of a uid", () => {
    const listed = parseVideoList([
      null,
      "x",
      [],
      { readyToStream: true },
      { uid: 42 },
      { uid: "" },
      { uid: "u".repeat(65) },
      { uid: "w".repeat(64), readyToStream: true },
      video(UID_A, { readyToStream: false }),
      video(UID_A, { readyToStream: true }),
    ]);
    assert.deepEqual([...(listed?.keys() ?? [])], ["w".repeat(64), UID_A], "a uid of up to 64 characters is kept");
    assert.equal(listed?.get(UID_A)?.readyToStream, false);
  });

  it("never throws on generated answers, and reads only what it can attribute", () => {
    const entry = fc.oneof(
      fc.anything(),
      fc.record({ uid: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.anything()) }, { requiredKeys: [] }),
      fc.record(
        {
          uid: fc.stringMatching(/^[0-9a-f]{32}$/),
          readyToStream: fc.anything(),
          requireSignedURLs: fc.anything(),
          duration: fc.oneof(fc.double(), fc.string(), fc.anything()),
          status: fc.anything(),
        },
        { requiredKeys: ["uid"] },
      ),
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(entry), fc.anything()), (result) => {
        const listed = parseVideoList(result);
        if (!Array.isArray(result)) {
          const empty =
            result === null || result === undefined || (typeof result === "object" && Object.keys(result).length === 0);
          assert.equal(listed === undefined, !empty);
          return true;
        }
        assert.ok(listed instanceof Map);
        for (const [uid, read] of listed) {
          assert.ok(uid.length > 0 && uid.length <= 64);
          assert.ok(result.some((e) => e !== null && typeof e === "object" && (e as { uid?: unknown }).uid === uid));
          assert.equal(typeof read.requireSignedURLs, "boolean");
          if (read.durationSeconds !== undefined)
            assert.ok(Number.isFinite(read.durationSeconds) && read.durationSeconds >= 0);
        }
        return true;
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});

describe("parseVideo: duration", () => {
  it("reads duration in seconds once known, as a number or a numeric string", () => {
    assert.equal(parseVideo({ duration: 12.5 }).durationSeconds, 12.5);
    assert.equal(parseVideo({ duration: "30" }).durationSeconds, 30);
    assert.equal(parseVideo({ duration: 0 }).durationSeconds, 0);
  });

  it("leaves it out while Cloudflare does not know it (-1) or sends nothing usable", () => {
    for (const duration of [-1, -0.5, null, "", "  ", "soon", Number.NaN, Infinity, {}, undefined]) {
      assert.equal("durationSeconds" in parseVideo({ duration }), false, String(duration));
    }
  });
});
