/**
 * Answers no emulator dialect gives on its own (a create answered with null or a string, a list that lags behind
 * a create, a ready download without its URL, a list that is not an object), videos that require signed URLs,
 * and the out-of-band deletions users run into when switching from cloudflare.StreamDownload.
 */
import assert from "node:assert/strict";
import { CloudflareClient } from "../../src/core/client";
import { StreamDownloadError, UnexpectedResponseError } from "../../src/core/errors";
import type { StreamDownloadInputs, StreamDownloadOutputs } from "../../src/core/types";
import { type Emulator, startEmulator } from "../../src/emulator";
import { cfId, inputsFor, providerFor, TOKEN } from "../helpers/fixtures";

/** A successful v4 envelope around `result`, as a raw body. */
function envelope(result: unknown): string {
  return JSON.stringify({ success: true, errors: [], messages: [], result });
}

describe("reading Cloudflare tolerantly, through the provider", () => {
  let emulator: Emulator;
  const account = cfId();
  let video: string;
  const downloadsPath = () => new RegExp(`/stream/${video}/downloads$`);

  before(async () => {
    emulator = await startEmulator({ token: TOKEN, generationMs: 300, rateLimit: false });
  });
  after(() => emulator.close());
  beforeEach(() => {
    emulator.clearFaults();
    emulator.options.generationMs = 300;
    video = emulator.createVideo(account);
    emulator.resetRequests();
  });

  const inputs = (overrides: Partial<StreamDownloadInputs> = {}) => inputsFor(account, video, overrides);

  for (const [name, result] of [
    ["null", null],
    ['the string "ok"', "ok"],
    ["an array", []],
    ['status "error"', { status: "error", percentComplete: 0 }],
  ] as const) {
    it(`creates and waits when the create is answered with ${name}`, async () => {
      emulator.addFault({
        method: "POST",
        path: "/downloads/default",
        fault: { kind: "rewriteResult", result },
      });
      const { outs } = (await providerFor(emulator).create(inputs())) as { outs: StreamDownloadOutputs };
      assert.equal(outs.default?.status, "ready");
      assert.match(outs.default?.url ?? "", new RegExp(`/${video}/downloads/default\\.mp4$`));
    });
  }

  it("without waiting, records what the list says, not a create's answer saying error", async () => {
    emulator.options.generationMs = 5000;
    emulator.addFault({
      method: "POST",
      path: "/downloads/default",
      fault: { kind: "rewriteResult", result: { status: "error", percentComplete: 0, url: "https://x.example/a.mp4" } },
    });
    const { outs } = (await providerFor(emulator).create(inputs({ waitForReady: false }))) as {
      outs: StreamDownloadOutputs;
    };
    assert.equal(outs.default?.status, "inprogress");
    assert.match(outs.default?.url ?? "", new RegExp(`/${video}/downloads/default\\.mp4$`));
  });

  it("waits through a list that does not show a new download yet", async () => {
    // The first list read (before the POST) is real; the next one lags behind the create.
    emulator.addFault({
      method: "GET",
      path: downloadsPath(),
      skip: 1,
      fault: { kind: "status", status: 200, body: envelope({}) },
    });
    const p = providerFor(emulator);
    const { outs } = (await p.create(inputs())) as { outs: StreamDownloadOutputs };
    assert.equal(outs.default?.status, "ready");
  });

  it("says the download disappeared, and what commonly causes it, when two reads in a row miss it", async () => {
    // Longer than the test can run, so the deletion lands while the provider waits, however loaded the machine.
    emulator.options.generationMs = 10 * 60 * 1000;
    const p = providerFor(emulator);
    const creating = p.create(inputs({ downloadTypes: ["default", "audio"] }));
    while (emulator.storedDownloads(account, video).length < 2) await new Promise((r) => setTimeout(r, 10));
    // Another client's legacy DELETE: what the delete of a cloudflare.StreamDownload sends.
    await new CloudflareClient({ baseUrl: emulator.baseUrl, credentials: { kind: "token", token: TOKEN } }).request(
      "DELETE",
      `/accounts/${account}/stream/${video}/downloads`,
    );
    const error = await creating.then(
      () => assert.fail("expected a failure"),
      (e: Error) => e,
    );
    assert.match(error.message, /The default download of video [0-9a-f]{32} disappeared while being generated/);
    assert.match(error.message, /cloudflare\.StreamDownload/);
    assert.match(error.message, /docs\/switching\.md/);
    assert.match(error.message, /The audio download this step created was deleted again|deleted again/);
    const left = emulator.allDownloads().filter((d) => d.uid === video);
    assert.deepEqual(left, [], "the audio download it created was rolled back");
  });

  it("reads the list again on refresh when a ready download comes without its URL", async () => {
    const { outs } = (await providerFor(emulator).create(inputs())) as { outs: StreamDownloadOutputs };
    emulator.resetRequests();
    emulator.addFault({
      method: "GET",
      path: downloadsPath(),
      fault: { kind: "status", status: 200, body: envelope({ default: { status: "ready", percentComplete: 100 } }) },
    });
    const p = providerFor(emulator);
    const result = await p.read(`${account}/${video}`, outs as StreamDownloadOutputs);
    assert.equal(result.props?.default?.status, "ready");
    assert.match(result.props?.default?.url ?? "", /\/downloads\/default\.mp4$/);
    const lists = emulator.requests.filter((r) => r.method === "GET" && downloadsPath().test(r.path));
    assert.equal(lists.length, 2, "read the list again");
  });

  it("never records a ready download without a URL: it keeps the URL it had, else says in progress", async () => {
    const { outs } = (await providerFor(emulator).create(inputs())) as { outs: StreamDownloadOutputs };
    const urlless = envelope({ default: { status: "ready", percentComplete: 100 } });
    emulator.addFault({
      method: "GET",
      path: downloadsPath(),
      times: Infinity,
      fault: { kind: "status", status: 200, body: urlless },
    });
    const p = providerFor(emulator);
    const kept = await p.read(`${account}/${video}`, outs as StreamDownloadOutputs);
    assert.equal(kept.props?.default?.url, outs.default?.url, "the URL recorded before");
    const fresh = {
      ...(outs as StreamDownloadOutputs),
      default: { status: "inprogress", percentComplete: 50, url: "" },
    };
    const unknown = await p.read(`${account}/${video}`, fresh);
    assert.equal(unknown.props?.default?.status, "inprogress");
    assert.equal(unknown.props?.default?.url, "");
  });

  it("fails a refresh on a list it cannot read, instead of dropping the resource", async () => {
    const { outs } = (await providerFor(emulator).create(inputs())) as { outs: StreamDownloadOutputs };
    emulator.addFault({
      method: "GET",
      path: downloadsPath(),
      fault: { kind: "status", status: 200, body: envelope(["default"]) },
    });
    const error = await providerFor(emulator)
      .read(`${account}/${video}`, outs as StreamDownloadOutputs)
      .then(
        () => assert.fail("expected a failure"),
        (e: Error) => e,
      );
    assert.ok(error instanceof UnexpectedResponseError, String(error));
    assert.match(error.message, /answered with an array where an object was expected/);
  });

  for (const [name, body] of [
    ["null", envelope(null)],
    ["no result at all", JSON.stringify({ success: true, errors: [], messages: [] })],
    ["[]", envelope([])],
    ["{}, with errors and messages null", JSON.stringify({ success: true, errors: null, messages: null, result: {} })],
  ] as const) {
    it(`reads a list answered with ${name} as no downloads, and goes on to create`, async () => {
      emulator.addFault({ method: "GET", path: downloadsPath(), fault: { kind: "status", status: 200, body } });
      const { outs } = (await providerFor(emulator).create(inputs())) as { outs: StreamDownloadOutputs };
      assert.equal(outs.default?.status, "ready");
      assert.equal(emulator.requests.filter((r) => r.method === "POST").length, 1);
    });
  }

  for (const [name, body] of [
    ["a number", envelope(42)],
    ["a string", envelope("none")],
    ["a boolean", envelope(false)],
    ["a body that is not JSON", "no downloads"],
  ] as const) {
    it(`fails a create whose list is ${name}, naming the call, and changes nothing`, async () => {
      emulator.addFault({
        method: "GET",
        path: downloadsPath(),
        times: Infinity,
        fault: { kind: "status", status: 200, body },
      });
      const error = await providerFor(emulator)
        .create(inputs())
        .then(
          () => assert.fail("expected a failure"),
          (e: Error) => e,
        );
      assert.ok(error instanceof StreamDownloadError, String(error));
      assert.match(error.message, new RegExp(`GET /accounts/${account}/stream/${video}/downloads\\b`));
      assert.ok(!error.message.includes(TOKEN));
      assert.deepEqual(
        emulator.requests.filter((r) => r.method !== "GET"),
        [],
        "no POST or DELETE was sent",
      );
      assert.deepEqual(emulator.storedDownloads(account, video), []);
    });
  }

  describe("videos that require signed URLs", () => {
    it("outputs requireSignedURLs and says in the progress output what it means", async () => {
      const signed = emulator.createVideo(account, { requireSignedURLs: true });
      const p = providerFor(emulator);
      const { outs } = (await p.create(inputs({ identifier: signed }))) as { outs: StreamDownloadOutputs };
      assert.equal(outs.requireSignedURLs, true);
      assert.ok(
        p.lines.some((l) => /requires signed URLs.*signed token that allows downloads/.test(l)),
        p.lines.join("\n"),
      );
      const refreshed = await p.read(`${account}/${signed}`, outs);
      assert.equal(refreshed.props?.requireSignedURLs, true);
    });

    it("outputs requireSignedURLs false for other videos, and when Cloudflare leaves the field out", async () => {
      const { outs } = (await providerFor(emulator).create(inputs())) as { outs: StreamDownloadOutputs };
      assert.equal(outs.requireSignedURLs, false);
    });
  });

  describe("switching from cloudflare.StreamDownload", () => {
    /** The old resource's download: made and removed with the legacy endpoints, as the bridged resource does. */
    const legacy = () =>
      new CloudflareClient({ baseUrl: emulator.baseUrl, credentials: { kind: "token", token: TOKEN } });

    it("the trap: the old resource's delete removes the download ours adopted, and refresh says why", async () => {
      await legacy().request("POST", `/accounts/${account}/stream/${video}/downloads`, {});
      const p = providerFor(emulator);
      const { outs } = (await p.create(inputs())) as { outs: StreamDownloadOutputs };
      assert.ok(p.lines.some((l) => /adopting the existing download/.test(l)));
      // The same `pulumi up` then deletes the old resource:
      await legacy().request("DELETE", `/accounts/${account}/stream/${video}/downloads`);
      const refreshed = await p.read(`${account}/${video}`, outs);
      assert.deepEqual(refreshed, { id: "" });
      assert.ok(
        p.lines.some((l) => /default: the download is gone from Cloudflare\. .*cloudflare\.StreamDownload/.test(l)),
        p.lines.join("\n"),
      );
    });
    // The safe paths (retainOnDelete, pulumi state delete) and the trap in one up run through the real engine:
    // tests/engine/switch.test.ts.
  });
});
