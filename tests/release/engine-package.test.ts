import assert from "node:assert/strict";
import type { Stack } from "@pulumi/pulumi/automation";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
  addNodeProbe,
  ensurePulumiCli,
  exportStackText,
  programDir,
  type ProgramDir,
  programPulumiVersion,
  stackFor,
} from "../helpers/engine";
import { cfId, TOKEN } from "../helpers/fixtures";
import { packTarball, REPO } from "../helpers/pack";

const pulumiVersion = programPulumiVersion();

describe(`the packed package, installed as users get it with @pulumi/pulumi ${pulumiVersion}, through the real Pulumi engine`, function () {
  this.timeout(15 * 60 * 1000);
  let emulator: Emulator;
  let program: ProgramDir;
  let stack: Stack;
  const account = cfId();

  before(async () => {
    ensurePulumiCli();
    emulator = await startEmulator({ token: TOKEN, generationMs: 1500, rateLimit: false });
    // examples/basic, with the tarball from `npm pack` in its node_modules instead of the repo's sources.
    program = programDir("examples/basic", { tarball: packTarball() });
    addNodeProbe(program);
    stack = await stackFor(program, "packaged", { CLOUDFLARE_API_TOKEN: TOKEN });
    await stack.setConfig("cloudflare:apiToken", { value: TOKEN, secret: true });
    await stack.setConfig("cloudflare:baseUrl", { value: emulator.baseUrl });
  });
  after(async () => {
    await stack?.destroy().catch(() => undefined);
    await emulator?.close();
    program?.dispose();
  });

  it("installs the chosen @pulumi/pulumi next to the package", () => {
    const installed = path.join(program.dir, "node_modules", "@pulumi", "pulumi", "package.json");
    assert.equal((JSON.parse(readFileSync(installed, "utf8")) as { version: string }).version, pulumiVersion);
  });

  it("runs examples/basic, program and dynamic provider on this Node.js: up creates ready downloads, destroy deletes them", async () => {
    const video = emulator.createVideo(account);
    await stack.setConfig("accountId", { value: account });
    await stack.setConfig("videoId", { value: video });
    const up = await stack.up();
    assert.match(String(up.outputs.mp4Url?.value), new RegExp(`/${video}/downloads/default\\.mp4$`));
    assert.match(String(up.outputs.m4aUrl?.value), new RegExp(`/${video}/downloads/audio\\.m4a$`));
    assert.equal(emulator.downloads(account, video).default?.status, "ready");
    assert.equal(emulator.downloads(account, video).audio?.status, "ready");
    // The engine starts `node` from PATH for the program and for the dynamic provider: the one running mocha.
    console.log(
      `      program on Node.js ${String(up.outputs.programNodeVersion?.value)}, dynamic provider on ` +
        `Node.js ${String(up.outputs.providerNodeVersion?.value)}, @pulumi/pulumi ${pulumiVersion}`,
    );
    assert.equal(up.outputs.programNodeVersion?.value, process.version, "the program runs on this Node.js");
    assert.equal(up.outputs.providerNodeVersion?.value, process.version, "the dynamic provider runs on this Node.js");

    const exported = exportStackText(program, "packaged");
    const resources = (JSON.parse(exported) as { deployment: { resources: Array<{ type: string }> } }).deployment
      .resources;
    const download = resources.find((r) => r.type === "pulumi-nodejs:dynamic/cloudflare:StreamDownload") as
      { inputs: { __provider: string } } | undefined;
    const serialized = download?.inputs.__provider ?? "";
    assert.match(
      serialized,
      /require\("pulumi-cloudflare-stream-download\/dist\/handler\.js"\)/,
      "state requires the package",
    );
    assert.ok(!serialized.includes(program.dir), "state does not depend on where node_modules is");
    const bytes = JSON.stringify(download).length;
    console.log(`      state bytes of one StreamDownload (both types): ${bytes}`);
    assert.ok(bytes <= 4096, `at most 4 KB of state per resource, got ${bytes}`);

    await stack.refresh();
    await stack.destroy();
    assert.deepEqual(emulator.storedDownloads(account, video), []);
  });

  it("keeps working with state written by 0.1.0: refresh, up and destroy of an imported 0.1.0 stack", async () => {
    // The 0.1.0 stack managed both downloads of one video; here they exist, ready, in the emulator.
    const video = emulator.createVideo(account);
    emulator.createDownload(account, video, "default", { ready: true });
    emulator.createDownload(account, video, "audio", { ready: true });
    const origin = new URL(emulator.downloads(account, video).default?.url ?? "").origin;
    const fixture = readFileSync(path.join(REPO, "tests", "fixtures", "state-0.1.0.json"), "utf8")
      .split("<ACCOUNT_ID>")
      .join(account)
      .split("<VIDEO_UID>")
      .join(video)
      .split("https://customer-<CUSTOMER_CODE>.cloudflarestream.com")
      .join(origin);
    const { version, deployment } = JSON.parse(fixture) as { version: number; deployment: unknown };
    // As the 0.1.0 stack was run: token and base URL from the environment, the rest from stack config.
    const old = await stackFor(program, "upgrade", {
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_BASE_URL: emulator.baseUrl,
    });
    try {
      await old.setConfig("accountId", { value: account });
      await old.setConfig("videoId", { value: video });
      await old.importStack({ version, deployment });
      emulator.resetRequests();

      await old.refresh();
      const refreshed = JSON.parse(exportStackText(program, "upgrade")) as {
        deployment: { resources: Array<{ type: string; outputs?: Record<string, unknown> }> };
      };
      const talk = refreshed.deployment.resources.find((r) => r.type.endsWith("StreamDownload"));
      assert.equal((talk?.outputs?.default as { status?: string })?.status, "ready");
      assert.equal(talk?.outputs?.requireSignedURLs, false, "refresh adds the output 0.1.0 did not have");

      await old.up();
      // (The up also creates the test's Node.js probe; the StreamDownload itself must stay as it is.)
      assert.deepEqual(
        emulator.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`),
        [],
        "no download is generated again or deleted",
      );
      await old.destroy();
      assert.deepEqual(emulator.storedDownloads(account, video), [], "destroy deletes what 0.1.0 created");
    } finally {
      await old.workspace.removeStack("upgrade").catch(() => undefined);
    }
  });
});
