import assert from "node:assert/strict";
import { awaitsUrl, isUsable, phaseOf, progressOf, stateOf, toInfo } from "../../src/core/download-state";
import { DOWNLOAD_TYPE_TABLE, DOWNLOAD_TYPES, isDownloadType } from "../../src/core/download-types";
import { DOWNLOAD_STATUSES } from "../../src/core/wire";

const URL = "https://customer-abc.cloudflarestream.com/uid/downloads/default.mp4";

describe("what a download's state means", () => {
  it("is missing when the list does not show it, failed on error, ready only with a URL, else pending", () => {
    assert.equal(phaseOf(undefined), "missing");
    assert.equal(phaseOf({ status: "error", percentComplete: 40 }), "failed");
    assert.equal(phaseOf({ status: "error", url: URL }), "failed");
    assert.equal(phaseOf({ status: "ready", url: URL }), "ready");
    assert.equal(phaseOf({ status: "ready" }), "pending");
    assert.equal(phaseOf({ status: "inprogress", percentComplete: 99, url: URL }), "pending");
    assert.equal(phaseOf({ status: "queued", url: URL }), "pending", "a status Cloudflare does not document");
    assert.equal(phaseOf({ status: "unknown" }), "pending");
  });

  it("takes only a ready download with a URL as usable, and a ready one without as awaiting its URL", () => {
    assert.equal(isUsable({ status: "ready", url: URL }), true);
    assert.equal(isUsable({ status: "ready" }), false);
    assert.equal(isUsable({ status: "inprogress", url: URL }), false);
    assert.equal(isUsable(undefined), false);
    assert.equal(awaitsUrl({ status: "ready" }), true);
    assert.equal(awaitsUrl({ status: "ready", url: URL }), false);
    assert.equal(awaitsUrl({ status: "inprogress" }), false);
    assert.equal(awaitsUrl(undefined), false);
  });

  it("records a ready download without a URL as in progress, with the URL it had before if any", () => {
    assert.deepEqual(toInfo({ status: "ready" }), { status: "inprogress", percentComplete: 0, url: "" });
    assert.deepEqual(toInfo({ status: "ready" }, { status: "inprogress", percentComplete: 60, url: URL }), {
      status: "ready",
      percentComplete: 100,
      url: URL,
    });
    assert.deepEqual(toInfo({ status: "ready", url: URL }), { status: "ready", percentComplete: 100, url: URL });
    assert.deepEqual(toInfo({ status: "inprogress", percentComplete: 42 }), {
      status: "inprogress",
      percentComplete: 42,
      url: "",
    });
    assert.deepEqual(toInfo({ status: "inprogress" }, { status: "inprogress", percentComplete: 30, url: URL }), {
      status: "inprogress",
      percentComplete: 30,
      url: URL,
    });
  });

  it("reads in a message as its state, and as its percentage while in progress", () => {
    assert.equal(stateOf(undefined), "(not listed yet)");
    assert.equal(stateOf({ status: "ready" }), "ready (no URL yet)");
    assert.equal(stateOf({ status: "inprogress", percentComplete: 42 }), "inprogress at 42%");
    assert.equal(stateOf({ status: "queued" }), "queued");
    assert.equal(progressOf({ status: "inprogress", percentComplete: 42.5 }), "42.5%");
    assert.equal(progressOf({ status: "queued", percentComplete: 0 }), "queued at 0%");
    assert.equal(progressOf({ status: "inprogress" }), "inprogress", "no percentage sent");
  });
});

describe("the download-type table", () => {
  it("lists default (an MP4) and audio (an M4A), each with its file name and media type", () => {
    assert.deepEqual(DOWNLOAD_TYPES, ["default", "audio"]);
    assert.deepEqual(
      DOWNLOAD_TYPES.map((t) => [DOWNLOAD_TYPE_TABLE[t].fileName, DOWNLOAD_TYPE_TABLE[t].contentType]),
      [
        ["default.mp4", "video/mp4"],
        ["audio.m4a", "audio/mp4"],
      ],
    );
  });

  it("knows a type by its name only", () => {
    assert.equal(isDownloadType("audio"), true);
    for (const other of ["Audio", "mp4", "toString", "__proto__", 1, undefined])
      assert.equal(isDownloadType(other), false);
  });

  it("documents three download statuses", () => {
    assert.deepEqual([...DOWNLOAD_STATUSES], ["ready", "inprogress", "error"]);
  });
});
