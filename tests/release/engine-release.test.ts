/**
 * The release as users meet it: the Pulumi CLI downloads the plugin archive for this machine from a download
 * URL into an empty PULUMI_HOME and runs the self-contained binary, with no Node.js on PATH, for a YAML program
 * and a Go program through the Go SDK. Also: `pulumi plugin install --file`, each archive's platform and
 * layout, and that the same commit builds the same bytes. Builds release/ first when it is missing or stale.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { release, sourceDateEpoch } from "../../scripts/release";
import { buildSdkPackages } from "../../scripts/release/sdks";
import { archiveName, executableName, NODE_VERSION, PLUGIN, TARGETS, type Target } from "../../scripts/release/plugin";
import { ensurePulumiCli, goSdkProgram, programDir, type ProgramDir, REPO } from "../helpers/engine";
import { cfId, TOKEN } from "../helpers/fixtures";
import { call, startPlugin } from "../helpers/plugin";
import { ensureRelease, nodeOn, packageVersion, readTarGz, serveFolder } from "../helpers/release";

const TYPE = "cloudflare-stream:index:StreamDownload";
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1";
const version = packageVersion();
const downloadUrl = (JSON.parse(readFileSync(path.join(REPO, "schema.json"), "utf8")) as { pluginDownloadURL: string })
  .pluginDownloadURL;

type StateResource = { type: string; id?: string; outputs?: Record<string, unknown> };

function which(tool: string): string {
  const found = spawnSync("/bin/sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
  assert.equal(found.status, 0, `${tool} is on PATH`);
  return found.stdout.trim();
}

describe("the released plugin through the real Pulumi engine, downloaded by the CLI, with no Node.js on PATH", function () {
  this.timeout(30 * 60 * 1000);
  let emulator: Emulator;
  let files: Awaited<ReturnType<typeof serveFolder>>;
  let bin: string;
  const temps: string[] = [];
  const programs: ProgramDir[] = [];
  const account = cfId();
  const thisMachine: Target = TARGETS.find((t) => t.os === "linux" && t.arch === "amd64") as Target;

  function temp(prefix: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    temps.push(dir);
    return dir;
  }

  before(async () => {
    assert.equal(`${process.platform}-${process.arch}`, "linux-x64", "this test runs the linux-amd64 archive");
    const cli = ensurePulumiCli(["yaml", "go"]);
    const started = Date.now();
    await ensureRelease((line) => console.log(`      ${line}`));
    console.log(`      release/ ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    files = await serveFolder(path.join(REPO, "release"));
    emulator = await startEmulator({ token: TOKEN, generationMs: 1500, rateLimit: false });
    // Exactly the tools a user of a YAML or Go program needs: the CLI, its language hosts and Go.
    bin = temp("sd-user-bin-");
    for (const tool of ["pulumi", "pulumi-language-yaml", "pulumi-language-go"]) {
      symlinkSync(path.join(cli, tool), path.join(bin, tool));
    }
    symlinkSync(which("go"), path.join(bin, "go"));
  });
  after(async () => {
    await emulator?.close();
    await new Promise((resolve) => files?.server.close(resolve));
    for (const p of programs) p.dispose();
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  /** A user's environment: our bin folder as the whole PATH, an empty PULUMI_HOME, a file backend. */
  function userEnv(home: string, backend: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION;
    delete env.PULUMI_IGNORE_AMBIENT_PLUGINS;
    return {
      ...env,
      PATH: bin,
      PULUMI_HOME: home,
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: "local-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      // The SDKs and examples/yaml name the project's GitHub releases; this machine serves release/ instead.
      PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES: `^${downloadUrl.replace(/[.]/g, "\\.")}$=${files.url}`,
      CLOUDFLARE_API_TOKEN: "",
      CLOUDFLARE_API_KEY: "",
      CLOUDFLARE_BASE_URL: "",
      ...extra,
    };
  }

  async function pulumi(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
    try {
      // Asynchronously: the emulator answers from this process.
      const { stdout, stderr } = await promisify(execFile)(path.join(bin, "pulumi"), args, {
        cwd,
        env,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout + stderr;
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message?: string };
      assert.fail(`pulumi ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
    }
  }

  /** up, refresh after a download is deleted out of band, destroy: the user's round trip on one program. */
  async function roundTrip(program: ProgramDir, stack: string, extra: Record<string, string> = {}): Promise<void> {
    const home = temp("sd-pulumi-home-");
    const env = userEnv(home, program.backend, extra);
    assert.equal(nodeOn(env.PATH ?? ""), undefined, "no node on the PATH the CLI runs with");
    const video = emulator.createVideo(account);
    const run = (...args: string[]) => pulumi([...args, "--stack", stack, "--non-interactive"], program.dir, env);
    await pulumi(["stack", "init", stack, "--non-interactive"], program.dir, env);
    await run("config", "set", "--secret", "cloudflare-stream:apiToken", TOKEN);
    await run("config", "set", "cloudflare-stream:baseUrl", emulator.baseUrl);
    await run("config", "set", "accountId", account);
    await run("config", "set", "videoId", video);

    const before = files.requests.length;
    const started = Date.now();
    const up = await run("up", "--yes", "--skip-preview");
    console.log(`      ${stack}: first up, plugin download included: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(
      files.requests.slice(before),
      [archiveName(version, thisMachine)],
      "the CLI downloaded this machine's archive once",
    );
    const installed = path.join(home, "plugins", `resource-cloudflare-stream-v${version}`, PLUGIN);
    assert.ok(existsSync(installed), `the plugin was unpacked into PULUMI_HOME: ${installed}`);
    assert.doesNotMatch(up, /from \$PATH/, "no ambient plugin was used");
    assert.ok(emulator.storedDownloads(account, video).length === 2, "both downloads were created");
    assert.equal(emulator.downloads(account, video).default?.status, "ready");

    const exported = await run("stack", "export");
    assert.ok(!exported.includes(TOKEN), "the token is not in the state");
    assert.ok(!up.includes(TOKEN), "the token is not in the output");
    const talk = (JSON.parse(exported) as { deployment: { resources: StateResource[] } }).deployment.resources.find(
      (r) => r.type === TYPE,
    );
    assert.equal(talk?.id, `${account}/${video}`);

    emulator.deleteDownload(account, video, "audio");
    await run("refresh", "--yes", "--skip-preview");
    const refreshed = (
      JSON.parse(await run("stack", "export")) as { deployment: { resources: StateResource[] } }
    ).deployment.resources.find((r) => r.type === TYPE);
    assert.equal(refreshed?.outputs?.audio, undefined, "refresh dropped the download deleted out of band");
    assert.equal((refreshed?.outputs?.default as { status?: string } | undefined)?.status, "ready");

    await run("destroy", "--yes", "--skip-preview");
    assert.deepEqual(emulator.storedDownloads(account, video), [], "destroy deleted the downloads");
    assert.equal(files.requests.length - before, 1, "later commands used the installed plugin");
  }

  it("builds byte-identical archives and SDK packages from the same commit", async () => {
    const again = temp("sd-release-again-");
    const targets = [thisMachine, TARGETS.find((t) => t.os === "darwin") as Target];
    await release({ out: again, targets, log: () => undefined });
    const sdks = await buildSdkPackages({ outDir: again, version, mtime: sourceDateEpoch(REPO) });
    const names = [
      ...targets.map((target) => archiveName(version, target)),
      ...[sdks.python.wheel, sdks.python.sdist, sdks.nodejs.tarball].map((file) => path.basename(file)),
    ];
    for (const name of names) {
      assert.ok(
        readFileSync(path.join(again, name)).equals(readFileSync(path.join(REPO, "release", name))),
        `${name} is the same in a second build`,
      );
    }
    execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: path.join(REPO, "release"), stdio: "ignore" });
  });

  it("holds, for each platform, its executable at the archive's root with README.md and LICENSE", () => {
    const mtime = sourceDateEpoch(REPO);
    const sums = readFileSync(path.join(REPO, "release", "SHA256SUMS"), "utf8");
    for (const target of TARGETS) {
      const name = archiveName(version, target);
      assert.match(sums, new RegExp(`^[0-9a-f]{64}  ${name.replace(/[.]/g, "\\.")}$`, "m"));
      const entries = readTarGz(path.join(REPO, "release", name));
      const names = entries.map((e) => e.name);
      assert.deepEqual(names, [...names].sort(), `${name}: sorted`);
      for (const e of entries) {
        assert.deepEqual([e.uid, e.gid, e.uname, e.gname, e.mtime, e.type], [0, 0, "root", "root", mtime, "0"], e.name);
      }
      const byName = new Map(entries.map((e) => [e.name, e]));
      assert.ok(byName.get("README.md")?.data.equals(readFileSync(path.join(REPO, "README.md"))), `${name}: README.md`);
      assert.ok(byName.get("LICENSE")?.data.equals(readFileSync(path.join(REPO, "LICENSE"))), `${name}: LICENSE`);
      const exe = byName.get(executableName(target));
      assert.ok(exe, `${name}: ${executableName(target)} at the root`);
      assert.equal(exe.mode, 0o755, `${name}: executable`);
      const data = exe.data;
      if (target.os === "linux") {
        // ELF, 64-bit, little-endian; e_machine 62 is x86-64, 183 is AArch64.
        assert.equal(data.subarray(0, 4).toString("latin1"), "\x7fELF", name);
        assert.equal(data.readUInt16LE(18), target.arch === "amd64" ? 62 : 183, `${name}: ELF machine`);
      } else if (target.os === "windows") {
        assert.equal(data.subarray(0, 2).toString("latin1"), "MZ", name);
        const pe = data.readUInt32LE(0x3c);
        assert.equal(data.subarray(pe, pe + 4).toString("latin1"), "PE\0\0", name);
        assert.equal(data.readUInt16LE(pe + 4), 0x8664, `${name}: PE machine AMD64`);
      } else {
        // Mach-O, 64-bit; CPU x86_64 or arm64 (tests/release/binaries.test.ts checks the signature).
        assert.equal(data.readUInt32LE(0), 0xfeedfacf, name);
        assert.equal(data.readUInt32LE(4), target.arch === "amd64" ? 0x01000007 : 0x0100000c, `${name}: CPU`);
      }
      assert.ok(data.includes(SEA_FUSE), `${name}: a Node.js single executable application (its fuse is set)`);
      assert.ok(data.includes(`v${NODE_VERSION}`) || data.includes(NODE_VERSION), `${name}: Node.js ${NODE_VERSION}`);
    }
  });

  it("installs with pulumi plugin install --file, and the installed binary runs with no Node.js", async () => {
    const home = temp("sd-plugin-install-");
    const empty = temp("sd-empty-path-");
    const archive = path.join(REPO, "release", archiveName(version, thisMachine));
    const env = userEnv(home, temp("sd-backend-"));
    await pulumi(["plugin", "install", "resource", "cloudflare-stream", version, "--file", archive], home, env);
    const listed = JSON.parse(await pulumi(["plugin", "ls", "--json"], home, env)) as {
      name: string;
      version: string;
    }[];
    assert.ok(
      listed.some((p) => p.name === "cloudflare-stream" && p.version === version),
      JSON.stringify(listed),
    );
    const dir = path.join(home, "plugins", `resource-cloudflare-stream-v${version}`);
    assert.equal(nodeOn(empty), undefined);
    const plugin = await startPlugin(dir, [], { PATH: empty });
    try {
      assert.equal((await call(plugin.client, "getPluginInfo", new Empty())).getVersion(), version);
    } finally {
      await plugin.stop();
    }
  });

  it("runs examples/yaml: the CLI downloads the plugin, then up, refresh after a deletion out of band, destroy", async () => {
    const program = programDir("examples/yaml");
    programs.push(program);
    await roundTrip(program, "yaml");
  });

  it("runs a Go program through the Go SDK, whose pluginDownloadURL the CLI downloads from: up, refresh, destroy", async () => {
    const program = goSdkProgram();
    programs.push(program);
    // The Go language host builds the program with `go build`: the flags of tests/sdks/generated.test.ts share its cache.
    await roundTrip(program, "go", { GOFLAGS: "-mod=mod -trimpath", CGO_ENABLED: "0", GOWORK: "off" });
  });
});
