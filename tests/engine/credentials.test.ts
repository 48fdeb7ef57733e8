/**
 * The API token through the real engine, given the way Pulumi cannot hide it. Pulumi masks the value of every
 * secret config key in what it prints, so with the token set as secret config a copy of it in the output or an
 * error would show as [secret], and a test of that setup cannot see the leak. A token given only through
 * CLOUDFLARE_API_TOKEN is unknown to Pulumi: any copy of it shows as it is. Both faces run in one program: the
 * dynamic resource, and the plugin (found on PATH) through the generated Node.js SDK.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { ensurePulumiCli, exportStackText, programDir, type ProgramDir, REPO, stackFor } from "../helpers/engine";
import { cfId, TOKEN } from "../helpers/fixtures";
import { pluginBinDir } from "../helpers/plugin";

/** Every file of the stack's state (the backend), except the CLI's own plugin and credentials home. */
function stateFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.parentPath.includes(".pulumi-home"))
    .map((e) => path.join(e.parentPath, e.name));
}

describe("a token given only through CLOUDFLARE_API_TOKEN, which Pulumi does not mask", function () {
  this.timeout(10 * 60 * 1000);
  let emulator: Emulator;
  let bin: ReturnType<typeof pluginBinDir>;
  let program: ProgramDir;
  let stack: Stack;
  let savedPath: string | undefined;
  const account = cfId();

  before(async () => {
    ensurePulumiCli();
    bin = pluginBinDir();
    savedPath = process.env.PATH;
    process.env.PATH = `${bin.dir}${path.delimiter}${process.env.PATH ?? ""}`;
    emulator = await startEmulator({ token: TOKEN, generationMs: 500, rateLimit: false });
    program = programDir("both-faces");
    stack = await stackFor(program, "env-token", {
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_API_KEY: "",
      CLOUDFLARE_EMAIL: "",
      STREAM_DOWNLOAD_MODULE: path.join(REPO, "src", "index.ts"),
      CLOUDFLARE_STREAM_SDK: path.join(REPO, "sdk", "nodejs", "index.ts"),
    });
  });
  after(async () => {
    await stack?.destroy().catch(() => undefined);
    process.env.PATH = savedPath;
    await emulator?.close();
    program?.dispose();
    bin?.dispose();
  });

  it("reaches neither face's output, engine events, state nor errors, through up, a refused refresh and destroy", async () => {
    const dynamicVideo = emulator.createVideo(account);
    const pluginVideo = emulator.createVideo(account);
    // No credential in the config: each face reads the token from its process's environment.
    await stack.setAllConfig({
      "cloudflare:baseUrl": { value: emulator.baseUrl },
      "cloudflare-stream:baseUrl": { value: emulator.baseUrl },
      accountId: { value: account },
      dynamicVideo: { value: dynamicVideo },
      pluginVideo: { value: pluginVideo },
    });
    /** Where each text came from, and the text: everything a user could see or keep. */
    const texts: Array<[string, string]> = [];
    const seen = (step: string) => ({
      onOutput: (s: string) => texts.push([`${step} output`, s]),
      onError: (s: string) => texts.push([`${step} stderr`, s]),
      onEvent: (e: EngineEvent) => texts.push([`${step} event`, JSON.stringify(e)]),
      debug: true,
      logVerbosity: 3,
      logToStdErr: true,
    });

    const up = await stack.up(seen("up"));
    assert.equal(up.outputs.dynamicStatus?.value, "ready");
    assert.equal(up.outputs.pluginStatus?.value, "ready");
    for (const video of [dynamicVideo, pluginVideo]) {
      const sent = emulator.requests.filter((r) => r.path.includes(video));
      assert.ok(
        sent.length > 0 && sent.every((r) => r.auth === "bearer" && r.status === 200),
        `the face of video ${video} authenticated with the token from the environment`,
      );
    }

    // The token is revoked: each face's refresh fails with an authentication error, which is where a message
    // about the token could repeat it.
    emulator.options.token = `${TOKEN}-revoked`;
    try {
      const error = await stack.refresh(seen("refresh")).then(
        () => assert.fail("expected the refresh to fail"),
        (e: Error) => e,
      );
      texts.push(["refresh error", error.message]);
    } finally {
      emulator.options.token = TOKEN;
    }
    const all = texts.map(([, text]) => text).join("\n");
    assert.match(all, /403/);
    assert.match(all, /If you rotated it: pulumi refresh/, "the dynamic resource's error was captured");
    assert.match(all, /If you rotated it, run pulumi up once/, "the plugin's error was captured");

    texts.push(["pulumi stack export", exportStackText(program, stack.name)]);
    for (const file of stateFiles(program.backend)) texts.push([`the state file ${file}`, readFileSync(file, "utf8")]);

    await stack.destroy(seen("destroy"));
    assert.deepEqual(emulator.storedDownloads(account, dynamicVideo), []);
    assert.deepEqual(emulator.storedDownloads(account, pluginVideo), []);

    assert.ok(
      texts.some(([where]) => where === "up event"),
      "the engine's events were captured",
    );
    for (const [where, text] of texts) {
      assert.ok(!text.includes(TOKEN), `the ${where} holds the token: ${text.slice(0, 2000)}`);
    }
  });
});
