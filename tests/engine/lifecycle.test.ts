import assert from "node:assert/strict";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { ensurePulumiCli, exportStackText, programDir, type ProgramDir, REPO, stackFor } from "../helpers/engine";
import { DIALECTS } from "../helpers/dialects";
import { cfId, TOKEN } from "../helpers/fixtures";
import type { ResourceSpec as Spec } from "../programs/downloads/spec";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.parentPath.includes(".pulumi-home"))
    .map((e) => path.join(e.parentPath, e.name));
}

describe("StreamDownload through the real Pulumi engine", function () {
  this.timeout(10 * 60 * 1000);
  let emulator: Emulator;
  let program: ProgramDir;
  let stack: Stack;
  const account = cfId();
  let log: string[];

  before(async () => {
    ensurePulumiCli();
    emulator = await startEmulator({ token: TOKEN, generationMs: 1500, rateLimit: false });
    program = programDir("downloads");
  });
  after(async () => {
    await emulator?.close();
    program?.dispose();
  });

  beforeEach(async function () {
    log = [];
    const name =
      this.currentTest?.title
        .replace(/[^a-z0-9]+/gi, "-")
        .slice(0, 40)
        .toLowerCase() ?? "t";
    stack = await stackFor(program, name, {
      CLOUDFLARE_API_TOKEN: TOKEN,
      STREAM_DOWNLOAD_MODULE: path.join(REPO, "src", "index.ts"),
    });
    await stack.setConfig("cloudflare:apiToken", { value: TOKEN, secret: true });
    await stack.setConfig("cloudflare:baseUrl", { value: emulator.baseUrl });
    emulator.clearFaults();
  });
  afterEach(async () => {
    await stack.destroy({ onOutput: (s) => log.push(s) }).catch(() => undefined);
    await stack.workspace.removeStack(stack.name).catch(() => undefined);
  });

  async function setResources(specs: Spec[]): Promise<void> {
    await stack.setConfig("resources", { value: JSON.stringify(specs) });
  }

  const collect = { onOutput: (s: string) => log.push(s), onError: (s: string) => log.push(s) };

  function types(video: string, of = account): string[] {
    return emulator
      .storedDownloads(of, video)
      .map((d) => d.type)
      .sort();
  }

  it("creates the downloads on up, waits until they are ready, and exports their URLs", async () => {
    const video = emulator.createVideo(account);
    await setResources([{ name: "talk", accountId: account, identifier: video, downloadTypes: ["default", "audio"] }]);
    const result = await stack.up(collect);
    const outs = result.outputs.downloads?.value as Record<
      string,
      { id: string; default: { url: string; status: string }; audio: { url: string } }
    >;
    assert.equal(outs.talk?.id, `${account}/${video}`);
    assert.equal(outs.talk?.default.status, "ready");
    assert.match(outs.talk?.default.url ?? "", new RegExp(`/${video}/downloads/default\\.mp4$`));
    assert.match(outs.talk?.audio.url ?? "", new RegExp(`/${video}/downloads/audio\\.m4a$`));
    assert.deepEqual(
      emulator.downloads(account, video).default?.status === "ready" &&
        emulator.downloads(account, video).audio?.status,
      "ready",
    );
    assert.match(log.join(""), /generating default [\d.]+%/, "progress shows in the up output");

    emulator.resetRequests();
    const again = await stack.up(collect);
    assert.equal(again.summary.resourceChanges?.same, 2);
    assert.equal(emulator.requests.length, 0, "a second up with no change sends no request");

    await stack.destroy(collect);
    assert.deepEqual(types(video), [], "destroy removes everything");
  });

  it("adds and removes a type in place, and replaces the resource for another video", async () => {
    const video = emulator.createVideo(account);
    await setResources([{ name: "talk", accountId: account, identifier: video }]);
    await stack.up(collect);
    assert.deepEqual(types(video), ["default"]);

    await setResources([{ name: "talk", accountId: account, identifier: video, downloadTypes: ["default", "audio"] }]);
    const added = await stack.up(collect);
    assert.equal(added.summary.resourceChanges?.update, 1);
    assert.deepEqual(types(video), ["audio", "default"]);

    await setResources([{ name: "talk", accountId: account, identifier: video, downloadTypes: ["audio"] }]);
    const removed = await stack.up(collect);
    assert.equal(removed.summary.resourceChanges?.update, 1);
    assert.deepEqual(types(video), ["audio"]);

    const other = emulator.createVideo(account);
    emulator.resetRequests();
    await setResources([{ name: "talk", accountId: account, identifier: other, downloadTypes: ["audio"] }]);
    const replaced = await stack.up(collect);
    assert.equal(replaced.summary.resourceChanges?.replace, 1);
    assert.deepEqual(types(other), ["audio"]);
    assert.deepEqual(types(video), []);
    const firstDelete = emulator.requests.findIndex((r) => r.method === "DELETE");
    const lastPost = emulator.requests.map((r) => r.method).lastIndexOf("POST");
    assert.ok(lastPost < firstDelete, "the new downloads are created before the old ones are deleted");
  });

  it("notices out-of-band deletions on refresh in every dialect at once: recreates a lost download, drops a lost video", async () => {
    // One account per dialect, all in one stack: each resource's requests are answered in its account's dialect.
    const fleet = DIALECTS.map((dialect) => {
      const id = cfId();
      return { dialect, account: id, kept: emulator.createVideo(id), gone: emulator.createVideo(id) };
    });
    emulator.options.accountDialects = Object.fromEntries(fleet.map((f) => [f.account, f.dialect.options]));
    try {
      const kept = fleet.map((f, i): Spec => ({
        name: `kept-${i}`,
        accountId: f.account,
        identifier: f.kept,
        downloadTypes: ["default", "audio"],
      }));
      await setResources([
        ...kept,
        ...fleet.map((f, i) => ({ name: `gone-${i}`, accountId: f.account, identifier: f.gone })),
      ]);
      await stack.up(collect);
      for (const f of fleet) {
        emulator.deleteDownload(f.account, f.kept, "audio");
        emulator.deleteVideo(f.account, f.gone);
      }

      await stack.refresh(collect);
      const state = (await stack.exportStack()).deployment as {
        resources: Array<{ type: string; urn: string; outputs?: Record<string, unknown> }>;
      };
      const left = state.resources.filter((r) => r.type.endsWith("StreamDownload"));
      assert.deepEqual(
        left.map((r) => r.urn.split("::").pop()).sort(),
        kept.map((k) => k.name).sort(),
        "the resources of the deleted videos were dropped, in every dialect",
      );
      for (const r of left) {
        assert.equal(r.outputs?.audio, undefined, `${r.urn}: the lost audio download is gone from state`);
        assert.ok(r.outputs?.default, `${r.urn}: the default download is still there`);
      }

      await setResources(kept);
      const up = await stack.up(collect);
      assert.equal(up.summary.resourceChanges?.update, fleet.length);
      for (const f of fleet) assert.deepEqual(types(f.kept, f.account), ["audio", "default"], f.dialect.name);
      await stack.destroy(collect);
      for (const f of fleet) assert.deepEqual(types(f.kept, f.account), [], f.dialect.name);
    } finally {
      emulator.options.accountDialects = {};
    }
  });

  /** The environment of every later `pulumi` run of this stack (and so of its provider processes). */
  function stackEnv(): Record<string, string> {
    return (stack.workspace as LocalWorkspace).envVars;
  }

  it("after a token rotation, says to run up first (a new CLOUDFLARE_API_TOKEN does not win); up records the new token; refresh and destroy then work", async () => {
    const video = emulator.createVideo(account);
    await setResources([{ name: "talk", accountId: account, identifier: video }]);
    await stack.up(collect);
    const rotated = `${TOKEN}-rotated`;
    emulator.options.token = rotated; // the old token is revoked
    try {
      await stack.setConfig("cloudflare:apiToken", { value: rotated, secret: true });
      // The new token in the environment too: the provider process gets it, and the recorded config still wins.
      stackEnv().CLOUDFLARE_API_TOKEN = rotated;
      emulator.resetRequests();
      await assert.rejects(stack.refresh(collect), (error: Error) => {
        assert.match(error.message, /401|403/);
        assert.match(error.message, /If you rotated it: .*run pulumi up once with the new token/);
        assert.ok(!error.message.includes(TOKEN), "no token in the error");
        return true;
      });
      assert.ok(emulator.requests.length > 0, "refresh reached Cloudflare");
      assert.deepEqual(
        [...new Set(emulator.requests.map((r) => r.status))],
        [403],
        "with the recorded (revoked) token: neither the new config nor the new environment variable won",
      );
      await assert.rejects(stack.destroy(collect), /403/, "destroy too uses the recorded token");
      assert.deepEqual(types(video), ["default"], "the failed destroy deleted nothing");
      const up = await stack.up(collect);
      assert.equal(up.summary.result, "succeeded");
      await stack.refresh(collect);
      await stack.destroy(collect);
      assert.deepEqual(types(video), [], "destroy with the rotated token deleted the download");
    } finally {
      emulator.options.token = TOKEN;
    }
  });

  it("with the token only in CLOUDFLARE_API_TOKEN (no config), a rotated token works at once: nothing was recorded", async () => {
    await stack.removeConfig("cloudflare:apiToken");
    const video = emulator.createVideo(account);
    await setResources([{ name: "talk", accountId: account, identifier: video }]);
    await stack.up(collect); // with CLOUDFLARE_API_TOKEN=TOKEN, from this stack's environment
    const rotated = `${TOKEN}-rotated`;
    emulator.options.token = rotated;
    try {
      stackEnv().CLOUDFLARE_API_TOKEN = rotated;
      emulator.resetRequests();
      await stack.refresh(collect);
      assert.ok(emulator.requests.length > 0 && emulator.requests.every((r) => r.status === 200), "refresh used it");
      await stack.destroy(collect);
      assert.deepEqual(types(video), [], "destroy with the new token from the environment deleted the download");
    } finally {
      emulator.options.token = TOKEN;
    }
  });

  it("keeps the API key and its email (both set --secret) out of state, engine output and errors", async () => {
    const apiKey = "5f3c2a9b8e7d6c5b4a3928171615141312111";
    const email = "stream-owner@example.org";
    emulator.options.apiKey = apiKey;
    emulator.options.email = email;
    try {
      await stack.removeConfig("cloudflare:apiToken");
      stackEnv().CLOUDFLARE_API_TOKEN = ""; // the key pair is the only credential
      await stack.setConfig("cloudflare:apiKey", { value: apiKey, secret: true });
      await stack.setConfig("cloudflare:email", { value: email, secret: true });
      const video = emulator.createVideo(account);
      await setResources([{ name: "talk", accountId: account, identifier: video }]);
      emulator.resetRequests();
      await stack.up({ ...collect, debug: true, logVerbosity: 3, logToStdErr: true });
      assert.deepEqual(types(video), ["default"]);
      assert.deepEqual([...new Set(emulator.requests.map((r) => r.auth))], ["key"], "it authenticated with the key");

      const exported = exportStackText(program, stack.name);
      for (const [name, value] of [
        ["API key", apiKey],
        ["email", email],
      ] as const) {
        assert.ok(!exported.includes(value), `no ${name} in pulumi stack export`);
        for (const file of filesUnder(program.backend)) {
          assert.ok(!readFileSync(file, "utf8").includes(value), `no ${name} in the state file ${file}`);
        }
      }
      emulator.addFault({ path: "/downloads", fault: { kind: "status", status: 400 }, times: Infinity });
      await stack.refresh({ ...collect, debug: true }).catch((e: Error) => log.push(e.message));
      emulator.clearFaults();
      const text = log.join("\n");
      assert.match(text, /400/, "the failed refresh's error was captured");
      assert.ok(!text.includes(apiKey) && !text.includes(email), "no key or email in engine output or errors");
      await stack.destroy(collect);
      assert.deepEqual(types(video), []);

      // Why docs/installation-configuration.md says to set the email with --secret too: the engine records the whole stack config as
      // the dynamic provider's inputs, before any code of this package runs, so a plain email lands in state.
      await stack.setConfig("cloudflare:email", { value: email });
      await stack.up(collect);
      assert.ok(exportStackText(program, stack.name).includes(`"cloudflare:email": "${email}"`));
      await stack.destroy(collect);
    } finally {
      emulator.options.apiKey = "test-key";
      emulator.options.email = "test@example.com";
    }
  });

  it("destroy succeeds when the video was deleted out of band", async () => {
    const video = emulator.createVideo(account);
    await setResources([{ name: "talk", accountId: account, identifier: video }]);
    await stack.up(collect);
    emulator.deleteVideo(account, video);
    await stack.destroy(collect);
    const state = (await stack.exportStack()).deployment as { resources?: unknown[] };
    assert.equal((state.resources ?? []).length, 0);
  });

  it("fails an up whose download ends in error, leaves nothing behind, and converges on the next up", async () => {
    const video = emulator.createVideo(account);
    await setResources([{ name: "talk", accountId: account, identifier: video, downloadTypes: ["default", "audio"] }]);
    emulator.failNextDownloads({ types: ["audio"], afterMs: 300 });
    await assert.rejects(stack.up(collect), (error: Error) => {
      assert.match(error.message, new RegExp(`audio download of video ${video}: it ended in status "error"`));
      assert.ok(!error.message.includes(TOKEN));
      return true;
    });
    assert.deepEqual(types(video), [], "the failed create deleted what it made");
    await stack.up(collect);
    assert.deepEqual(types(video), ["audio", "default"]);
  });

  it("adopts an existing download without generating it again", async () => {
    const video = emulator.createVideo(account);
    emulator.createDownload(account, video, "default", { ready: true });
    const createdAt = emulator.storedDownloads(account, video)[0]?.createdAt;
    await setResources([{ name: "talk", accountId: account, identifier: video }]);
    emulator.resetRequests();
    await stack.up(collect);
    assert.equal(emulator.requests.filter((r) => r.method === "POST").length, 0);
    assert.equal(emulator.storedDownloads(account, video)[0]?.createdAt, createdAt);
  });

  it("never prints a secret accountId or identifier whose check fails, nor a correction of it", async () => {
    const video = emulator.createVideo(account);
    const badAccount = ` ${account.toUpperCase()}`;
    const badVideo = video.slice(1);
    await setResources([
      { name: "talk", accountId: badAccount, identifier: badVideo, secret: ["accountId", "identifier"] },
    ]);
    emulator.resetRequests();
    let message = "";
    await assert.rejects(stack.preview(collect), (error: Error) => (message = error.message) !== "");
    const text = `${log.join("\n")}\n${message}`;
    assert.match(text, /accountId must be a Cloudflare account ID: .*not shown: it may be a secret\) has spaces/);
    assert.match(
      text,
      /identifier must be a Cloudflare video UID: .*not shown: it may be a secret\) has 31 characters/,
    );
    for (const piece of [account, badVideo, account.toUpperCase()]) {
      assert.ok(!text.includes(piece.slice(0, 12)), `no piece of a secret id in the engine's output: ${text}`);
    }
    assert.equal(emulator.requests.length, 0, "a failed check sends no request");
  });

  it("keeps the API token out of state, engine output and errors", async () => {
    const video = emulator.createVideo(account);
    await setResources([{ name: "talk", accountId: account, identifier: video }]);
    await stack.up({ ...collect, debug: true, logVerbosity: 3, logToStdErr: true });
    // `pulumi stack export` as a user runs it (the Automation API's exportStack adds --show-secrets).
    const exported = exportStackText(program, stack.name);
    assert.match(exported, /"__provider"/);
    assert.ok(!exported.includes(TOKEN), "no token in pulumi stack export");
    for (const file of filesUnder(program.backend)) {
      assert.ok(!readFileSync(file, "utf8").includes(TOKEN), `no token in the state file ${file}`);
    }
    emulator.addFault({ path: "/downloads", fault: { kind: "status", status: 400 }, times: Infinity });
    await stack.refresh({ ...collect, debug: true }).catch((e: Error) => log.push(e.message));
    emulator.clearFaults();
    const text = log.join("\n");
    assert.match(text, /400/, "the failed refresh's error was captured");
    assert.ok(!text.includes(TOKEN), "no token in engine output or errors");
  });
});
