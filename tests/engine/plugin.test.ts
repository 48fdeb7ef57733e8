/**
 * The native provider plugin through the real Pulumi engine: YAML programs (which need no SDK) run with
 * `pulumi-resource-cloudflare-stream` found on PATH, against the emulator.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import * as path from "node:path";
import type { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import {
  ensurePulumiCli,
  exportStackText,
  programDir,
  type ProgramDir,
  programEnv,
  REPO,
  stackFor,
  goSdkProgram,
  timed,
} from "../helpers/engine";
import { cfId, TOKEN } from "../helpers/fixtures";
import { pluginBinDir } from "../helpers/plugin";

const TYPE = "cloudflare-stream:index:StreamDownload";
type StateResource = {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
};

async function resourcesOf(stack: Stack): Promise<StateResource[]> {
  const state = (await stack.exportStack()).deployment as { resources?: StateResource[] };
  return (state.resources ?? []).filter((r) => r.type === TYPE);
}

describe("the cloudflare-stream provider plugin through the real Pulumi engine", function () {
  this.timeout(10 * 60 * 1000);
  let emulator: Emulator;
  let bin: ReturnType<typeof pluginBinDir>;
  const programs: ProgramDir[] = [];
  const stacks: Stack[] = [];
  const account = cfId();
  let savedPath: string | undefined;
  // Credentials reach the plugin only through provider config: none in its environment.
  const noEnvCredentials = { CLOUDFLARE_API_TOKEN: "", CLOUDFLARE_API_KEY: "", CLOUDFLARE_BASE_URL: "" };

  before(async () => {
    ensurePulumiCli(["yaml", "go"]);
    bin = pluginBinDir();
    savedPath = process.env.PATH;
    process.env.PATH = `${bin.dir}${path.delimiter}${process.env.PATH ?? ""}`;
    emulator = await startEmulator({ token: TOKEN, generationMs: 1500, rateLimit: false });
  });
  after(async () => {
    for (const stack of stacks) await stack.destroy().catch(() => undefined);
    process.env.PATH = savedPath;
    await emulator?.close();
    for (const p of programs) p.dispose();
    bin?.dispose();
  });

  async function yamlStack(name: string, program: ProgramDir): Promise<Stack> {
    const stack = await stackFor(program, name, noEnvCredentials);
    stacks.push(stack);
    return stack;
  }

  /** examples/yaml on a stack of its own, configured with the token and the emulator, for a new video. */
  async function examplesYaml(name: string): Promise<{ program: ProgramDir; stack: Stack; video: string }> {
    const program = programDir("examples/yaml");
    programs.push(program);
    const stack = await yamlStack(name, program);
    const video = emulator.createVideo(account);
    await stack.setAllConfig({
      "cloudflare-stream:apiToken": { value: TOKEN, secret: true },
      "cloudflare-stream:baseUrl": { value: emulator.baseUrl },
      accountId: { value: account },
      videoId: { value: video },
    });
    return { program, stack, video };
  }

  it("stops up at one Ctrl-C: the plugin records the downloads still generating, and refresh later reads them ready", async () => {
    const { program, stack, video } = await examplesYaml("ctrl-c");
    emulator.options.generationMs = 120_000;
    try {
      // The CLI as in a terminal, so that SIGINT is the user's Ctrl-C.
      const cli = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", "ctrl-c", "--non-interactive"], {
        cwd: program.dir,
        env: { ...process.env, ...programEnv(program, noEnvCredentials) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      cli.stdout.on("data", (d: Buffer) => (output += d.toString()));
      cli.stderr.on("data", (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => cli.once("exit", (code) => resolve(code)));
      // Both creates have reached the emulator (checked after each answer it sends), or the CLI gave up first.
      await new Promise<void>((resolve, reject) => {
        const created = () => emulator.storedDownloads(account, video).length >= 2;
        const stop = emulator.onResponse(() => {
          if (created()) {
            stop();
            resolve();
          }
        });
        if (created()) resolve();
        void exited.then((code) =>
          reject(new Error(`pulumi exited (${code}) before both downloads were created:\n${output}`)),
        );
      });
      await new Promise((r) => setTimeout(r, 1500)); // the wait for readiness has begun
      const interruptedAt = Date.now();
      cli.kill("SIGINT");
      const code = await exited;
      const took = Date.now() - interruptedAt;
      console.log(`      up ended ${(took / 1000).toFixed(1)} s after Ctrl-C (generation takes 120 s)`);
      // Stopped before the downloads were ready (generation takes 120 s): no wall-clock bound needed.
      assert.deepEqual(
        (["default", "audio"] as const).map((t) => emulator.downloads(account, video)[t]?.status),
        ["inprogress", "inprogress"],
        `up ended while the downloads were still being generated:\n${output}`,
      );
      assert.notEqual(code, 0, "the update was cancelled");

      const [talk] = await resourcesOf(stack);
      assert.equal(talk?.id, `${account}/${video}`, "the create was recorded, not left pending");
      assert.equal((talk?.outputs?.default as { status?: string } | undefined)?.status, "inprogress");
      assert.deepEqual(
        emulator
          .storedDownloads(account, video)
          .map((d) => d.type)
          .sort(),
        ["audio", "default"],
        "nothing was deleted",
      );

      // Later, generated: refresh reads them ready, and destroy deletes them.
      emulator.createDownload(account, video, "default", { ready: true });
      emulator.createDownload(account, video, "audio", { ready: true });
      await stack.refresh();
      const [refreshed] = await resourcesOf(stack);
      assert.equal((refreshed?.outputs?.default as { status?: string } | undefined)?.status, "ready");
      await stack.destroy();
      assert.deepEqual(emulator.storedDownloads(account, video), []);
    } finally {
      emulator.options.generationMs = 1500;
    }
  });

  it("runs examples/yaml: up waits for ready downloads and logs on the resource, refresh notices a deletion, destroy deletes", async () => {
    const { program, stack, video } = await examplesYaml("yaml");

    const events: EngineEvent[] = [];
    const out: string[] = [];
    const up = await timed("yaml up", () => stack.up({ onEvent: (e) => events.push(e), onOutput: (s) => out.push(s) }));
    assert.equal(up.outputs.id?.value, `${account}/${video}`);
    assert.equal(up.outputs.mp4Status?.value, "ready");
    assert.match(String(up.outputs.mp4?.value), new RegExp(`/${video}/downloads/default\\.mp4$`));
    assert.match(String(up.outputs.m4a?.value), new RegExp(`/${video}/downloads/audio\\.m4a$`));
    assert.equal(emulator.downloads(account, video).audio?.status, "ready");

    // Progress reaches the engine attributed to the resource: passing statuses and kept lines.
    const urn = `urn:pulumi:yaml::stream-downloads-yaml::${TYPE}::talk`;
    const lines = events.flatMap((e) => (e.diagnosticEvent ? [e.diagnosticEvent] : []));
    const ours = lines.filter((d) => d.urn === urn);
    assert.ok(
      ours.some((d) => d.ephemeral && /generating .*next check in/.test(d.message)),
      "a passing status",
    );
    assert.ok(
      ours.some((d) => !d.ephemeral && /ready after/.test(d.message)),
      "a kept line",
    );
    assert.match(
      out.join(""),
      new RegExp(`${TYPE} \\(talk\\):\\s+StreamDownload ${video}: default and audio ready after`),
    );

    assert.ok(!exportStackText(program, stack.name).includes(TOKEN), "no token in pulumi stack export");
    assert.ok(!out.join("").includes(TOKEN) && !JSON.stringify(events).includes(TOKEN), "no token in the output");

    emulator.deleteDownload(account, video, "audio");
    await timed("yaml refresh", () => stack.refresh());
    const [talk] = await resourcesOf(stack);
    assert.equal(talk?.outputs?.audio, undefined, "refresh dropped the download deleted out of band");
    assert.equal((talk?.outputs?.default as { status?: string } | undefined)?.status, "ready");

    await timed("yaml destroy", () => stack.destroy());
    assert.deepEqual(emulator.storedDownloads(account, video), []);
  });

  describe("credentials through the engine", () => {
    const rotated = `${TOKEN}-rotated`;
    /** The environment of every later `pulumi` run of the stack, and so of the plugin processes it starts. */
    const envOf = (stack: Stack) => (stack.workspace as LocalWorkspace).envVars;
    const statuses = () => [...new Set(emulator.requests.map((r) => r.status))];
    afterEach(() => {
      emulator.options.token = TOKEN;
      emulator.options.apiKey = "test-key";
      emulator.options.email = "test@example.com";
    });

    it("after a token rotation, refresh and destroy use the recorded token until an up; a new CLOUDFLARE_API_TOKEN does not win", async () => {
      const { stack, video } = await examplesYaml("rotation");
      await stack.up();
      emulator.options.token = rotated; // the old token is revoked
      await stack.setConfig("cloudflare-stream:apiToken", { value: rotated, secret: true });
      envOf(stack).CLOUDFLARE_API_TOKEN = rotated; // and in the plugin's environment

      emulator.resetRequests();
      await assert.rejects(stack.refresh(), (error: Error) => {
        assert.match(error.message, /403/);
        assert.match(error.message, /If you rotated it, run pulumi up once with the new token/);
        assert.ok(!error.message.includes(TOKEN), "no token in the error");
        return true;
      });
      assert.deepEqual(statuses(), [403], "refresh used the recorded, revoked token");
      await assert.rejects(stack.destroy(), /403/, "destroy too");
      assert.equal(emulator.storedDownloads(account, video).length, 2, "the failed destroy deleted nothing");

      await stack.up(); // records the new token: the provider's config changed, nothing is replaced
      emulator.resetRequests();
      await stack.refresh();
      assert.deepEqual(statuses(), [200], "refresh uses the new token");
      await stack.destroy();
      assert.deepEqual(emulator.storedDownloads(account, video), []);
    });

    it("with the token only in CLOUDFLARE_API_TOKEN (no provider config), a rotated token works at once", async () => {
      const { stack, video } = await examplesYaml("env-token");
      await stack.removeConfig("cloudflare-stream:apiToken");
      envOf(stack).CLOUDFLARE_API_TOKEN = TOKEN;
      await stack.up(); // the plugin found the token in its environment
      assert.equal(emulator.downloads(account, video).default?.status, "ready");

      emulator.options.token = rotated;
      envOf(stack).CLOUDFLARE_API_TOKEN = rotated;
      emulator.resetRequests();
      await stack.refresh();
      assert.ok(emulator.requests.length > 0);
      assert.deepEqual(statuses(), [200], "refresh used the environment's new token, with no up first");
      await stack.destroy();
      assert.deepEqual(emulator.storedDownloads(account, video), []);
    });

    it("keeps the API key and its email out of state, given as plain provider config", async () => {
      const apiKey = "5f3c2a9b8e7d6c5b4a3928171615141312111";
      const email = "stream-owner@example.org";
      emulator.options.apiKey = apiKey;
      emulator.options.email = email;
      const { program, stack, video } = await examplesYaml("key-email");
      await stack.removeConfig("cloudflare-stream:apiToken");
      // Plain, not --secret: the plugin's CheckConfig marks both secret.
      await stack.setAllConfig({
        "cloudflare-stream:apiKey": { value: apiKey },
        "cloudflare-stream:email": { value: email },
      });
      emulator.resetRequests();
      const out: string[] = [];
      await stack.up({ onOutput: (s) => out.push(s) });
      assert.equal(emulator.downloads(account, video).default?.status, "ready");
      assert.deepEqual([...new Set(emulator.requests.map((r) => r.auth))], ["key"], "it authenticated with the key");

      const exported = exportStackText(program, stack.name);
      assert.match(exported, /pulumi:providers:cloudflare-stream/);
      for (const [name, value] of [
        ["API key", apiKey],
        ["email", email],
      ] as const) {
        assert.ok(!exported.includes(value), `no ${name} in pulumi stack export`);
        assert.ok(!out.join("").includes(value), `no ${name} in the engine's output`);
      }
      await stack.destroy();
      assert.deepEqual(emulator.storedDownloads(account, video), []);
    });
  });

  it("runs two explicit providers with different tokens and endpoints side by side, keeping both tokens out of state", async () => {
    const other = await startEmulator({ token: "second-token-fedcba9876543210", generationMs: 500, rateLimit: false });
    try {
      const program = programDir("native-providers");
      programs.push(program);
      const stack = await yamlStack("providers", program);
      const first = emulator.createVideo(account);
      const second = other.createVideo(account);
      emulator.resetRequests();
      // Plain (not secret) config: the plugin's CheckConfig is what marks the tokens secret in state.
      await stack.setAllConfig({
        accountId: { value: account },
        firstToken: { value: TOKEN },
        firstBaseUrl: { value: emulator.baseUrl },
        firstVideo: { value: first },
        secondToken: { value: "second-token-fedcba9876543210" },
        secondBaseUrl: { value: other.baseUrl },
        secondVideo: { value: second },
      });
      const up = await timed("two providers up", () => stack.up());
      assert.equal(up.outputs.a?.value, "ready");
      assert.equal(up.outputs.b?.value, "ready");
      assert.ok(emulator.requests.length > 0 && other.requests.length > 0);
      assert.deepEqual(emulator.storedDownloads(account, second), [], "each provider used only its own endpoint");

      const exported = exportStackText(program, stack.name);
      assert.ok(!exported.includes(TOKEN) && !exported.includes("second-token-fedcba9876543210"));
      assert.match(exported, /pulumi:providers:cloudflare-stream/);

      await timed("two providers destroy", () => stack.destroy());
      assert.deepEqual(emulator.storedDownloads(account, first), []);
      assert.deepEqual(other.storedDownloads(account, second), []);
    } finally {
      await other.close();
    }
  });

  it("imports existing downloads with pulumi import <accountId>/<videoUid>", async () => {
    const program = programDir("examples/yaml");
    programs.push(program);
    const stack = await yamlStack("import", program);
    const video = emulator.createVideo(account);
    emulator.createDownload(account, video, "default", { ready: true });
    emulator.createDownload(account, video, "audio", { ready: true });
    await stack.setAllConfig({
      "cloudflare-stream:apiToken": { value: TOKEN, secret: true },
      "cloudflare-stream:baseUrl": { value: emulator.baseUrl },
      accountId: { value: account },
      videoId: { value: video },
    });
    const start = Date.now();
    try {
      // Asynchronously: the emulator answers from this process.
      await promisify(execFile)(
        "pulumi",
        ["import", TYPE, "adopted", `${account}/${video}`, "--stack", stack.name, "--yes", "--protect=false"],
        {
          cwd: program.dir,
          env: { ...process.env, ...programEnv(program, noEnvCredentials) },
          encoding: "utf8",
        },
      );
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      assert.fail(`pulumi import failed:\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
    }
    console.log(`      pulumi import: ${((Date.now() - start) / 1000).toFixed(1)} s`);
    const [adopted] = await resourcesOf(stack);
    assert.equal(adopted?.id, `${account}/${video}`);
    assert.deepEqual(adopted?.inputs?.downloadTypes, ["default", "audio"]);
    assert.equal((adopted?.outputs?.audio as { status?: string } | undefined)?.status, "ready");
    // Importing adopts: nothing was generated again, and nothing deleted.
    assert.equal(emulator.storedDownloads(account, video).length, 2);
  });

  it("runs a Node.js program with both faces side by side: the dynamic resource and the plugin through the generated SDK", async () => {
    const program = programDir("both-faces");
    programs.push(program);
    const stack = await stackFor(program, "both", {
      ...noEnvCredentials,
      STREAM_DOWNLOAD_MODULE: path.join(REPO, "src", "index.ts"),
      CLOUDFLARE_STREAM_SDK: path.join(REPO, "sdk", "nodejs", "index.ts"),
    });
    stacks.push(stack);
    const dynamicVideo = emulator.createVideo(account);
    const pluginVideo = emulator.createVideo(account);
    // Each face reads its own config keys: cloudflare:* for the dynamic resource, cloudflare-stream:* for the plugin.
    await stack.setAllConfig({
      "cloudflare:apiToken": { value: TOKEN, secret: true },
      "cloudflare:baseUrl": { value: emulator.baseUrl },
      "cloudflare-stream:apiToken": { value: TOKEN, secret: true },
      "cloudflare-stream:baseUrl": { value: emulator.baseUrl },
      accountId: { value: account },
      dynamicVideo: { value: dynamicVideo },
      pluginVideo: { value: pluginVideo },
    });
    const up = await timed("both faces up", () => stack.up());
    assert.equal(up.outputs.dynamicStatus?.value, "ready");
    assert.equal(up.outputs.pluginStatus?.value, "ready");
    assert.equal(up.outputs.pluginId?.value, `${account}/${pluginVideo}`);
    assert.match(String(up.outputs.pluginAudioUrl?.value), new RegExp(`/${pluginVideo}/downloads/audio\\.m4a$`));
    const types = (await stack.exportStack()).deployment.resources.map((r: { type: string }) => r.type);
    assert.ok(
      types.includes(TYPE) && types.includes("pulumi-nodejs:dynamic/cloudflare:StreamDownload"),
      types.join(", "),
    );

    await timed("both faces destroy", () => stack.destroy());
    assert.deepEqual(emulator.storedDownloads(account, dynamicVideo), []);
    assert.deepEqual(emulator.storedDownloads(account, pluginVideo), []);
  });

  it("runs a Go program through the generated Go SDK: up creates ready downloads, destroy deletes them", async () => {
    const program = goSdkProgram();
    programs.push(program);
    // The Go language host builds the program with `go build`: the flags of tests/sdks/generated.test.ts share its cache.
    const stack = await stackFor(program, "go", {
      ...noEnvCredentials,
      GOFLAGS: "-mod=mod -trimpath",
      CGO_ENABLED: "0",
      GOWORK: "off",
    });
    stacks.push(stack);
    const video = emulator.createVideo(account);
    await stack.setAllConfig({
      "cloudflare-stream:apiToken": { value: TOKEN, secret: true },
      "cloudflare-stream:baseUrl": { value: emulator.baseUrl },
      accountId: { value: account },
      videoId: { value: video },
    });
    const up = await timed("go up (builds the program)", () => stack.up());
    assert.equal(up.outputs.status?.value, "ready");
    assert.match(String(up.outputs.mp4?.value), new RegExp(`/${video}/downloads/default\\.mp4$`));
    assert.equal(emulator.downloads(account, video).audio?.status, "ready");
    await timed("go destroy", () => stack.destroy());
    assert.deepEqual(emulator.storedDownloads(account, video), []);
  });
});
