/**
 * What file facts read of a final HEAD answer (`factsOf` in src/core/file-facts.ts): size and type when they are
 * readable, the outcome for each status, and generated headers nobody listed (a fixed seed, printed on failure).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type AnswerHead, factsOf } from "../../src/core/file-facts";

const SEED = 20261128;

function answer(status: number, headers: Record<string, string>): AnswerHead {
  return { status, headers: { get: (name) => headers[name.toLowerCase()] ?? null } };
}

describe("factsOf: a final answer to the HEAD of a download's URL", () => {
  it("reads size and type from a 2xx", () => {
    assert.deepEqual(factsOf(answer(200, { "content-length": "3125000", "content-type": "video/mp4" }), false), {
      outcome: "served",
      status: 200,
      sizeBytes: 3_125_000,
      contentType: "video/mp4",
    });
    assert.deepEqual(factsOf(answer(204, {}), false), { outcome: "served", status: 204 });
  });

  it("leaves out a size that is no whole number of bytes, and a type that is no media type", () => {
    for (const length of ["", "-1", "1e3", "12abc", "1.5", "99999999999999999", "0x10"]) {
      assert.equal("sizeBytes" in factsOf(answer(200, { "content-length": length }), false), false, length);
    }
    assert.equal(factsOf(answer(200, { "content-length": " 42 " }), false).outcome, "served");
    for (const type of ["", "   ", "video/mp4\u0000", `video/${"x".repeat(200)}`]) {
      assert.equal("contentType" in factsOf(answer(200, { "content-type": type }), false), false, JSON.stringify(type));
    }
  });

  it("says a 401 is expected only for a video that requires signed URLs", () => {
    assert.equal(factsOf(answer(401, {}), true).outcome, "signed");
    assert.equal(factsOf(answer(401, {}), false).outcome, "failed");
    assert.equal(factsOf(answer(403, {}), true).outcome, "failed", "only a 401 is what a signed URL's absence gives");
  });

  it("says why a final failure is odd: a refused HEAD of a video without signed URLs, or a ready file not served", () => {
    for (const [status, phrase] of [
      [401, "401 Unauthorized"],
      [403, "403 Forbidden"],
    ] as const) {
      const facts = factsOf(answer(status, {}), false);
      assert.deepEqual(facts, {
        outcome: "failed",
        status,
        reason:
          `HEAD answered ${phrase} although the video does not require signed URLs (by its last read); ` +
          "if it does now, the next refresh says so",
      });
    }
    for (const [status, phrase] of [
      [404, "404 Not Found"],
      [410, "410 Gone"],
      [302, "302"],
    ] as const) {
      assert.deepEqual(factsOf(answer(status, {}), false), {
        outcome: "failed",
        status,
        reason: `HEAD answered ${phrase} although Cloudflare lists the download as ready; the next refresh looks again`,
      });
    }
    const signed = factsOf(answer(401, {}), true);
    assert.match(signed.outcome === "signed" ? signed.reason : "", /with a signed token in place of the video id/);
    assert.equal(factsOf(answer(199, { "content-length": "5" }), false).outcome, "failed", "only a 2xx is served");
  });

  it("keeps a type of exactly 100 characters, and none longer", () => {
    const type = (n: number) => `video/${"x".repeat(n - 6)}`;
    assert.equal(factsOf(answer(200, { "content-type": type(100) }), false).outcome, "served");
    assert.deepEqual(factsOf(answer(200, { "content-type": type(100) }), false), {
      outcome: "served",
      status: 200,
      contentType: type(100),
    });
    assert.equal("contentType" in factsOf(answer(200, { "content-type": type(101) }), false), false);
  });

  it("keeps every generated answer within its promises", () => {
    const status = fc.oneof(fc.integer({ min: 200, max: 299 }), fc.integer({ min: 300, max: 499 }));
    const header = fc.option(fc.oneof(fc.string(), fc.stringMatching(/^\d{1,20}$/), fc.string({ unit: "binary" })), {
      nil: undefined,
    });
    fc.assert(
      fc.property(status, header, header, fc.boolean(), (code, length, type, signed) => {
        const headers: Record<string, string> = {};
        if (length !== undefined) headers["content-length"] = length;
        if (type !== undefined) headers["content-type"] = type;
        const facts = factsOf(answer(code, headers), signed);
        if (code < 300) {
          assert.equal(facts.outcome, "served");
          if (facts.outcome !== "served") return false;
          if (facts.sizeBytes !== undefined) assert.ok(Number.isSafeInteger(facts.sizeBytes) && facts.sizeBytes >= 0);
          if (facts.contentType !== undefined) {
            // eslint-disable-next-line no-control-regex
            assert.ok(facts.contentType.length <= 100 && !/[\u0000-\u001f\u007f]/.test(facts.contentType));
          }
        } else {
          assert.equal(facts.outcome, code === 401 && signed ? "signed" : "failed");
          assert.equal(facts.status, code);
          assert.ok("reason" in facts && facts.reason.startsWith(`HEAD answered ${code}`));
        }
        return true;
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});
