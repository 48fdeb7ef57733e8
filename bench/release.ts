/**
 * `npm run bench:release`: the figures of docs/limits.md's "Installing the plugin" rows. A benchmark, not a test:
 * it prints a table and fails only if it cannot run.
 * - the size of each release archive (release/, built first when missing or stale);
 * - cold start, from process start until the plugin prints its port (median of 7 starts): the self-contained
 *   binary, and the npm `bin` (dist/native/main.js) on the Node.js running this script;
 * - `pulumi up` of examples/yaml in an empty PULUMI_HOME, the plugin downloaded from a local HTTP server
 *   (release/) included, and the same `up` again once the plugin is installed.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ensurePulumiCli, REPO } from "../scripts/engine";
import { archiveName, PLUGIN, TARGETS } from "../scripts/release/plugin";
import { startEmulator } from "../src/emulator";
import { programDir } from "../tests/helpers/engine";
import { ensureRelease, packageVersion, serveFolder } from "../tests/helpers/release";

const TOKEN = "bench-token";
const STARTS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Milliseconds from spawning `command` until it writes its first line on stdout; then stops it. */
function untilPort(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        child.kill("SIGTERM");
        resolve(ms);
      }
    });
    child.once("exit", (code) => {
      if (!out.includes("\n")) reject(new Error(`${command} exited with ${code} before printing its port`));
    });
  });
}

async function coldStart(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  await untilPort(command, args, env); // once to warm the page cache: later starts are what a second run meets
  const times: number[] = [];
  for (let i = 0; i < STARTS; i++) times.push(await untilPort(command, args, env));
  return median(times);
}

async function main(): Promise<void> {
  const version = packageVersion();
  const cli = ensurePulumiCli(["yaml"]);
  const releaseDir = await ensureRelease((line) => console.error(`bench: ${line}`));
  const rows: [string, string, string][] = [];

  for (const target of TARGETS) {
    const name = archiveName(version, target);
    rows.push([
      "archive size",
      `${target.os}-${target.arch}`,
      `${(statSync(path.join(releaseDir, name)).size / 1024 / 1024).toFixed(1)} MiB`,
    ]);
  }

  const work = mkdtempSync(path.join(tmpdir(), "sd-bench-release-"));
  try {
    const sea = path.join(work, "sea");
    mkdirSync(sea);
    const linux = TARGETS.find((t) => t.os === "linux" && t.arch === "amd64") ?? TARGETS[0];
    if (!linux) throw new Error("no linux-amd64 target");
    execFileSync("tar", ["-xzf", path.join(releaseDir, archiveName(version, linux)), "-C", sea]);
    const empty = path.join(work, "empty");
    mkdirSync(empty);
    const noNode = { PATH: empty };
    rows.push([
      "cold start",
      "self-contained binary (linux-amd64, no Node.js)",
      `${(await coldStart(path.join(sea, PLUGIN), [], noNode)).toFixed(0)} ms`,
    ]);

    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: REPO, stdio: "inherit" });
    const nodeEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` };
    rows.push([
      "cold start",
      `npm bin on Node.js ${process.version} (dist/native/main.js)`,
      `${(await coldStart(process.execPath, [path.join(REPO, "dist", "native", "main.js")], nodeEnv)).toFixed(0)} ms`,
    ]);

    // The first `pulumi up` as a YAML user meets it: no plugin installed, no Node.js on PATH.
    const bin = path.join(work, "bin");
    mkdirSync(bin);
    for (const tool of ["pulumi", "pulumi-language-yaml"]) symlinkSync(path.join(cli, tool), path.join(bin, tool));
    const files = await serveFolder(releaseDir);
    const emulator = await startEmulator({ token: TOKEN, generationMs: 500, rateLimit: false });
    const program = programDir("examples/yaml");
    try {
      const url = (JSON.parse(readFileSync(path.join(REPO, "schema.json"), "utf8")) as { pluginDownloadURL: string })
        .pluginDownloadURL;
      const home = path.join(work, "pulumi-home");
      const env = {
        ...process.env,
        PATH: bin,
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${program.backend}`,
        PULUMI_CONFIG_PASSPHRASE: "bench",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "",
        PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES: `^${url.replace(/[.]/g, "\\.")}$=${files.url}`,
      };
      const pulumi = (args: string[]) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(path.join(bin, "pulumi"), [...args, "--non-interactive"], {
            cwd: program.dir,
            env,
            stdio: "ignore",
          });
          child.once("exit", (code) =>
            code === 0 ? resolve() : reject(new Error(`pulumi ${args.join(" ")} exited with ${code}`)),
          );
        });
      const account = "0123456789abcdef0123456789abcdef";
      for (const [stack, label] of [
        ["first", "first `pulumi up` of examples/yaml, plugin download included"],
        ["second", "`pulumi up` of a new stack, plugin already installed"],
      ] as const) {
        await pulumi(["stack", "init", stack]);
        await pulumi(["config", "set", "--secret", "cloudflare-stream:apiToken", TOKEN]);
        await pulumi(["config", "set", "cloudflare-stream:baseUrl", emulator.baseUrl]);
        await pulumi(["config", "set", "accountId", account]);
        await pulumi(["config", "set", "videoId", emulator.createVideo(account)]);
        const started = Date.now();
        await pulumi(["up", "--yes", "--skip-preview"]);
        rows.push(["pulumi up", label, `${((Date.now() - started) / 1000).toFixed(1)} s`]);
        await pulumi(["destroy", "--yes", "--skip-preview"]);
      }
      if (!readdirSync(path.join(home, "plugins")).some((d) => d.startsWith("resource-cloudflare-stream-"))) {
        throw new Error("the plugin was not installed into PULUMI_HOME");
      }
    } finally {
      program.dispose();
      await emulator.close();
      files.server.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  console.log("| figure | what | value |\n|-|-|-|");
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
}

main().catch((error: unknown) => {
  console.error(`bench:release: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
