import assert from "node:assert/strict";
import { isUsable } from "../../src/core/download-state";
import {
  isEmptyList,
  parseCreateHint,
  parseDownload,
  parseDownloadList,
  parsePercent,
  parseVideo,
} from "../../src/core/parse";

const URL = "https://customer-abc.cloudflarestream.com/ea95132c15732412d22c1476fa83f27a/downloads/default.mp4";

describe("the tolerant reader", () => {
  describe("parsePercent", () => {
    it("reads numbers and numeric strings, clamped to 0-100", () => {
      assert.equal(parsePercent(42.5), 42.5);
      assert.equal(parsePercent("42.5"), 42.5);
      assert.equal(parsePercent(" 7 "), 7);
      assert.equal(parsePercent(101), 100);
      assert.equal(parsePercent(-3), 0);
    });

    it("says nothing (undefined) for what is not a percentage, rather than 0", () => {
      for (const value of [undefined, null, "", "n/a", {}, [], true, Number.NaN]) {
        assert.equal(parsePercent(value), undefined, JSON.stringify(value));
      }
    });
  });

  describe("parseDownload", () => {
    it("reads the documented shape", () => {
      assert.deepEqual(parseDownload({ status: "ready", percentComplete: 100, url: URL }), {
        status: "ready",
        percentComplete: 100,
        url: URL,
      });
    });

    it("reads a percentage sent as a string, and the snake_case spelling of the SDKs", () => {
      assert.equal(parseDownload({ status: "inprogress", percentComplete: "12.5" }).percentComplete, 12.5);
      assert.equal(parseDownload({ status: "inprogress", percent_complete: 30 }).percentComplete, 30);
    });

    it("keeps a status Cloudflare does not document, lowercased, and ignores unknown fields", () => {
      assert.deepEqual(parseDownload({ status: "Queued", percentComplete: 0, url: URL, size: 123, extra: {} }), {
        status: "queued",
        percentComplete: 0,
        url: URL,
      });
    });

    it("reads a status that is too long (over 64 characters) or holds control characters as `unknown`", () => {
      assert.equal(parseDownload({ status: "ready".padEnd(65, "y") }).status, "unknown");
      assert.equal(parseDownload({ status: "queued".padEnd(64, "d") }).status, "queued".padEnd(64, "d"));
      assert.equal(parseDownload({ status: "in\nprogress" }).status, "unknown");
      assert.equal(parseDownload({ status: " Ready\n" }).status, "ready");
    });

    it("reads a download without percentage or URL, and one without a status as `unknown`", () => {
      assert.deepEqual(parseDownload({ status: "inprogress" }), { status: "inprogress" });
      assert.deepEqual(parseDownload({ url: URL }), { status: "unknown", url: URL });
    });

    it("reads a url that is not an absolute http(s) URL as no URL", () => {
      for (const url of ["null", "", "/downloads/default.mp4", "ftp://example.com/a.mp4", "javascript:alert(1)", 42]) {
        assert.deepEqual(parseDownload({ status: "ready", url }), { status: "ready" }, String(url));
      }
      assert.equal(isUsable(parseDownload({ status: "ready", url: "not a url" })), false);
    });

    it("reads an entry that is not an object as present, status `unknown`", () => {
      assert.deepEqual(parseDownload("pending"), { status: "unknown" });
      assert.deepEqual(parseDownload(true), { status: "unknown" });
    });
  });

  describe("parseDownloadList", () => {
    it("reads the types present and ignores unknown keys", () => {
      const list = parseDownloadList({
        default: { status: "ready", percentComplete: 100, url: URL },
        audio: { status: "inprogress", percentComplete: "40" },
        subtitles: { status: "ready" },
      });
      assert.deepEqual(list, {
        default: { status: "ready", percentComplete: 100, url: URL },
        audio: { status: "inprogress", percentComplete: 40 },
      });
    });

    it("reads every empty form as no downloads: {}, [], null and no result at all", () => {
      for (const value of [{}, [], null, undefined]) {
        assert.deepEqual(parseDownloadList(value), {}, String(JSON.stringify(value)));
      }
    });

    it("reads a null or absent entry as no download of that type", () => {
      assert.deepEqual(parseDownloadList({ default: null }), {});
      assert.deepEqual(parseDownloadList({ default: null, audio: { status: "ready", url: URL } }), {
        audio: { status: "ready", url: URL },
      });
    });

    it("refuses to read a number, a string, a boolean or a non-empty array as 'no downloads'", () => {
      for (const value of ["ok", "", 42, 0, true, false, [{ status: "ready" }], ["default"], [null]]) {
        assert.equal(parseDownloadList(value), undefined, JSON.stringify(value));
      }
    });
  });

  describe("parseCreateHint", () => {
    const single = { status: "inprogress", percentComplete: 0, url: URL };

    it("reads the result keyed by type", () => {
      assert.deepEqual(parseCreateHint({ default: single, audio: { status: "ready" } }, "default"), single);
      assert.deepEqual(parseCreateHint({ default: single, audio: { status: "ready" } }, "audio"), { status: "ready" });
    });

    it("reads the single download, as Cloudflare's API reference documents it", () => {
      assert.deepEqual(parseCreateHint(single, "default"), single);
      assert.deepEqual(parseCreateHint({ ...single, percentComplete: "3" }, "audio"), {
        ...single,
        percentComplete: 3,
      });
    });

    it("takes a hint that says error as saying nothing: only the list says a download failed", () => {
      assert.equal(parseCreateHint({ ...single, status: "error" }, "default"), undefined);
      assert.equal(parseCreateHint({ default: { ...single, status: "Error" } }, "default"), undefined);
    });

    it("takes keyed-by-other-types, {}, null, a string or an array as saying nothing (undefined)", () => {
      for (const value of [{ audio: single }, {}, null, undefined, "ok", ["x"], 1]) {
        assert.equal(parseCreateHint(value, "default"), undefined, JSON.stringify(value));
      }
    });
  });

  describe("parseVideo", () => {
    it("reads the documented video", () => {
      assert.deepEqual(
        parseVideo({
          uid: "x",
          readyToStream: false,
          requireSignedURLs: true,
          status: { state: "inprogress", pctComplete: "42.5", errorReasonCode: "", errorReasonText: "" },
        }),
        { readyToStream: false, state: "inprogress", percentComplete: 42.5, requireSignedURLs: true },
      );
    });

    it("reads pctComplete as a number too", () => {
      assert.equal(
        parseVideo({ readyToStream: false, status: { state: "queued", pctComplete: 0 } }).percentComplete,
        0,
      );
    });

    it("derives readiness from status.state when readyToStream is missing", () => {
      assert.equal(parseVideo({ status: { state: "ready" } }).readyToStream, true);
      assert.equal(parseVideo({ status: { state: "inprogress" } }).readyToStream, false);
    });

    it("leaves readiness unknown when neither readyToStream nor a state is sent", () => {
      assert.equal(parseVideo({ uid: "x" }).readyToStream, undefined);
      assert.equal(parseVideo(null).readyToStream, undefined);
    });

    it("joins the error reason and reads a missing requireSignedURLs as false", () => {
      const video = parseVideo({
        readyToStream: false,
        status: { state: "error", errorReasonCode: "ERR_NON_VIDEO", errorReasonText: "Not a video." },
      });
      assert.equal(video.errorReason, "ERR_NON_VIDEO: Not a video.");
      assert.equal(video.requireSignedURLs, false);
    });

    it("cuts each part of a long error reason at 300 characters", () => {
      const video = parseVideo({
        status: { state: "error", errorReasonCode: "E", errorReasonText: "x".repeat(10_000) },
      });
      assert.equal(video.errorReason, `E: ${"x".repeat(300)}… (cut)`);
    });
  });
});

describe("the tolerant reader, at its edges", () => {
  it("reads a blank string as no percentage and no status, not as 0 % or an empty status", () => {
    assert.equal(parsePercent("   "), undefined);
    assert.deepEqual(parseDownload({ status: "   ", percentComplete: " " }), { status: "unknown" });
    assert.deepEqual(parseVideo({ status: { state: " ", pctComplete: " " } }), { requireSignedURLs: false });
  });

  it("takes an http URL as a URL too", () => {
    const url = "http://127.0.0.1:8787/uid/downloads/default.mp4";
    assert.deepEqual(parseDownload({ status: "ready", url }), { status: "ready", url });
  });

  it("knows every empty form of a list, and nothing else, as empty", () => {
    for (const empty of [undefined, null, {}, []]) assert.equal(isEmptyList(empty), true, JSON.stringify(empty));
    for (const other of [{ default: null }, [0], 0, "", false])
      assert.equal(isEmptyList(other), false, JSON.stringify(other));
  });

  it("reads a create's result as the single download when it has any one download field", () => {
    assert.deepEqual(parseCreateHint({ percentComplete: 5 }, "default"), { status: "unknown", percentComplete: 5 });
    assert.deepEqual(parseCreateHint({ percent_complete: 5 }, "audio"), { status: "unknown", percentComplete: 5 });
    assert.deepEqual(parseCreateHint({ url: URL }, "default"), { status: "unknown", url: URL });
    assert.deepEqual(parseCreateHint({ status: "inprogress" }, "default"), { status: "inprogress" });
    assert.equal(parseCreateHint({ uid: "x", size: 1 }, "default"), undefined, "no download field");
    assert.equal(
      parseCreateHint({ audio: { status: "ready" }, status: "ready" }, "default"),
      undefined,
      "keyed by type: never read as the single download, even with a status beside the keys",
    );
  });

  it("records no video field it was not sent, and reads requireSignedURLs sent as a string", () => {
    assert.deepEqual(parseVideo({}), { requireSignedURLs: false });
    assert.deepEqual(parseVideo(null), { requireSignedURLs: false });
    assert.deepEqual(parseVideo({ requireSignedURLs: "true" }), { requireSignedURLs: true });
    assert.deepEqual(parseVideo({ requireSignedURLs: "false" }), { requireSignedURLs: false });
  });

  it("keeps an error reason of exactly 300 characters whole", () => {
    const text = "x".repeat(300);
    assert.equal(parseVideo({ status: { state: "error", errorReasonText: text } }).errorReason, text);
  });
});
