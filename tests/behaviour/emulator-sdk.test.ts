import assert from "node:assert/strict";
import Cloudflare from "cloudflare";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { cfId, TOKEN } from "../helpers/fixtures";

// The emulator must work for Cloudflare's own SDK unchanged, not only for our client: same paths, envelope,
// field names and status codes.
describe("the emulator, driven by Cloudflare's official TypeScript SDK", () => {
  let emulator: Emulator;
  const account_id = cfId();
  let sdk: Cloudflare;

  before(async () => {
    emulator = await startEmulator({ token: TOKEN, generationMs: 200, rateLimit: false });
    sdk = new Cloudflare({ apiToken: TOKEN, baseURL: emulator.baseUrl, maxRetries: 0 });
  });
  after(() => emulator.close());

  it("uploads from a URL, creates, lists and deletes a download", async () => {
    const video = await sdk.stream.copy.create({ account_id, url: "https://example.com/v.mp4" });
    assert.match(video.uid ?? "", /^[0-9a-f]{32}$/);
    const uid = video.uid ?? "";
    assert.equal((await sdk.stream.get(uid, { account_id })).readyToStream, true);

    // By default the legacy POST answers with the one download, as Cloudflare's API reference page shows;
    // SDK 7.3's types describe an object keyed by type (the emulator's "keyed" post shape, tested below).
    const created = (await sdk.stream.downloads.create(uid, { account_id })) as unknown as {
      status: string;
      url: string;
    };
    assert.equal(created.status, "inprogress");
    assert.match(created.url ?? "", new RegExp(`/${uid}/downloads/default\\.mp4$`));
    await new Promise((r) => setTimeout(r, 250));
    const listed = await sdk.stream.downloads.get(uid, { account_id });
    assert.equal(listed.default?.status, "ready");
    assert.equal(listed.default?.percentComplete, 100);

    assert.equal(await sdk.stream.downloads.delete(uid, { account_id }), "ok");
    assert.deepEqual(emulator.storedDownloads(account_id, uid), []);
    await sdk.stream.delete(uid, { account_id });
    assert.equal(emulator.getVideo(account_id, uid), undefined);
  });

  it("answers the legacy create in the shape the SDK's types describe when told to answer keyed by type", async () => {
    const uid = emulator.createVideo(account_id);
    emulator.options.postShape = "keyed";
    try {
      const created = await sdk.stream.downloads.create(uid, { account_id });
      assert.equal(created.default?.status, "inprogress");
      assert.match(created.default?.url ?? "", new RegExp(`/${uid}/downloads/default\\.mp4$`));
      assert.equal(created.audio, undefined);
    } finally {
      emulator.options.postShape = "single";
    }
  });

  it("answers with errors the SDK maps to its own error classes", async () => {
    await assert.rejects(sdk.stream.downloads.get(cfId(), { account_id }), (e: unknown) => {
      assert.ok(e instanceof Cloudflare.NotFoundError);
      return true;
    });
    const wrong = new Cloudflare({ apiToken: "wrong-token", baseURL: emulator.baseUrl, maxRetries: 0 });
    await assert.rejects(wrong.stream.downloads.get(cfId(), { account_id }), (e: unknown) => {
      assert.ok(e instanceof Cloudflare.PermissionDeniedError);
      return true;
    });
  });
});
