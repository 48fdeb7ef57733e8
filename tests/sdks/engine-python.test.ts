/**
 * examples/python through the real Pulumi engine: the Python language host built by scripts/pulumi-cli.sh, the
 * Python SDK installed from its wheel into the program's virtual environment with pulumi from PyPI at the pinned
 * version, and the provider plugin on PATH, against the emulator.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import type { Stack } from "@pulumi/pulumi/automation";
import { makeVenv, pythonPulumiVersion, type Venv } from "../../scripts/release/python";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import {
  ensurePulumiCli,
  exportStackText,
  programDir,
  type ProgramDir,
  programEnv,
  stackFor,
  timed,
} from "../helpers/engine";
import { cfId, TOKEN } from "../helpers/fixtures";
import { pluginBinDir } from "../helpers/plugin";
import { sdkPackages } from "../helpers/sdks";

const TYPE = "cloudflare-stream:index:StreamDownload";
const PROVIDER = "pulumi:providers:cloudflare-stream";
type StateResource = {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  provider?: string;
  protect?: boolean;
};

describe("examples/python through the real Pulumi engine", function () {
  this.timeout(15 * 60 * 1000);
  let emulator: Emulator;
  let bin: ReturnType<typeof pluginBinDir>;
  let program: ProgramDir;
  let venv: Venv;
  let stack: Stack | undefined;
  let savedPath: string | undefined;
  const account = cfId();
  // Credentials reach the plugin only through the explicit provider: none in its environment.
  const noEnvCredentials = { CLOUDFLARE_API_TOKEN: "", CLOUDFLARE_API_KEY: "", CLOUDFLARE_BASE_URL: "" };

  before(async () => {
    ensurePulumiCli(["python"]);
    bin = pluginBinDir();
    savedPath = process.env.PATH;
    process.env.PATH = `${bin.dir}${path.delimiter}${process.env.PATH ?? ""}`;
    emulator = await startEmulator({ token: TOKEN, generationMs: 1500, rateLimit: false });
    const { python } = await sdkPackages();
    program = programDir("examples/python");
    // As the example's README says: a virtual environment beside the program, the SDK's wheel and pulumi in it.
    const start = Date.now();
    venv = makeVenv(path.join(program.dir, "venv"), [`pulumi==${pythonPulumiVersion()}`], [python.wheel]);
    console.log(
      `      virtual environment with pulumi ${pythonPulumiVersion()} and the SDK's wheel: ${((Date.now() - start) / 1000).toFixed(1)} s`,
    );
  });
  after(async () => {
    await stack?.destroy().catch(() => undefined);
    process.env.PATH = savedPath;
    await emulator?.close();
    program?.dispose();
    bin?.dispose();
  });

  /** The virtual environment activated, as `source venv/bin/activate` does. */
  const activated = () => ({
    ...noEnvCredentials,
    VIRTUAL_ENV: venv.dir,
    PATH: `${venv.bin}${path.delimiter}${process.env.PATH ?? ""}`,
  });

  async function resources(): Promise<StateResource[]> {
    return ((await stack!.exportStack()).deployment as { resources?: StateResource[] }).resources ?? [];
  }

  it("runs up, refresh after a deletion out of band, up, an import with the import option and one with pulumi import, and destroy", async () => {
    stack = await stackFor(program, "python", activated());
    const video = emulator.createVideo(account);
    await stack.setAllConfig({
      apiToken: { value: TOKEN, secret: true },
      baseUrl: { value: emulator.baseUrl },
      accountId: { value: account },
      videoId: { value: video },
    });

    const up = await timed("python up", () => stack!.up());
    assert.equal(up.outputs.id?.value, `${account}/${video}`);
    assert.equal(up.outputs.mp4Status?.value, "ready");
    assert.equal(up.outputs.m4aStatus?.value, "ready");
    assert.match(String(up.outputs.mp4?.value), new RegExp(`/${video}/downloads/default\\.mp4$`));
    assert.match(String(up.outputs.m4a?.value), new RegExp(`/${video}/downloads/audio\\.m4a$`));
    assert.equal(emulator.downloads(account, video).audio?.status, "ready");
    const state = await resources();
    const provider = state.find((r) => r.type === PROVIDER && r.urn.endsWith("::stream"));
    assert.ok(provider, state.map((r) => r.urn).join("\n"));
    const talk = state.find((r) => r.type === TYPE);
    assert.ok(talk?.provider?.startsWith(`${provider.urn}::`), "the download uses the explicit provider");
    assert.ok(!exportStackText(program, "python").includes(TOKEN), "no token in pulumi stack export");

    emulator.deleteDownload(account, video, "audio");
    await timed("python refresh", () => stack!.refresh());
    const refreshed = (await resources()).find((r) => r.type === TYPE);
    assert.equal(refreshed?.outputs?.audio, undefined, "refresh dropped the download deleted out of band");
    assert.equal((refreshed?.outputs?.default as { status?: string } | undefined)?.status, "ready");

    const again = await timed("python up (creates the deleted download again)", () => stack!.up());
    assert.equal(again.outputs.m4aStatus?.value, "ready");
    assert.equal(emulator.downloads(account, video).audio?.status, "ready");

    // An existing video's downloads, adopted with the import option (the example's importVideoId), as
    // docs/importing.md says: no code generation, so it works with this Python host too.
    const other = emulator.createVideo(account);
    emulator.createDownload(account, other, "default", { ready: true });
    emulator.createDownload(account, other, "audio", { ready: true });
    emulator.resetRequests();
    await stack.setConfig("importVideoId", { value: other });
    await timed("python up with the import option", () => stack!.up());
    const adopted = (await resources()).find((r) => r.type === TYPE && r.urn.endsWith("::adopted"));
    assert.equal(adopted?.id, `${account}/${other}`);
    assert.ok(adopted?.provider?.startsWith(`${provider.urn}::`), "imported through the explicit provider");
    assert.deepEqual(adopted?.inputs?.downloadTypes, ["default", "audio"]);
    assert.ok(!adopted?.protect, "the import option does not protect");
    assert.deepEqual(
      emulator.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`),
      [],
      "importing generated nothing and deleted nothing",
    );
    assert.equal(emulator.storedDownloads(account, other).length, 2);

    // Another video's, with the pulumi import command and the flags docs/importing.md gives.
    const third = emulator.createVideo(account);
    emulator.createDownload(account, third, "default", { ready: true });
    await timed("pulumi import", async () => {
      try {
        await promisify(execFile)(
          "pulumi",
          [
            "import",
            TYPE,
            "imported",
            `${account}/${third}`,
            "--provider",
            `stream=${provider.urn}`,
            "--generate-code=false",
            "--protect=false",
            "--stack",
            "python",
            "--yes",
          ],
          { cwd: program.dir, env: { ...process.env, ...programEnv(program, activated()) }, encoding: "utf8" },
        );
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string };
        assert.fail(`pulumi import failed:\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
      }
    });
    const imported = (await resources()).find((r) => r.type === TYPE && r.urn.endsWith("::imported"));
    assert.equal(imported?.id, `${account}/${third}`);
    assert.deepEqual(imported?.inputs?.downloadTypes, ["default"]);
    assert.ok(!imported?.protect, "--protect=false leaves it unprotected");

    // Nothing protected by surprise: destroy deletes every download of the three.
    await timed("python destroy", () => stack!.destroy());
    assert.deepEqual(emulator.storedDownloads(account, video), []);
    assert.deepEqual(emulator.storedDownloads(account, other), []);
    assert.deepEqual(emulator.storedDownloads(account, third), []);
  });
});
