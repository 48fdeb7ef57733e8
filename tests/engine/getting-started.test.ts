/**
 * docs/getting-started.md as a newcomer follows it: every shell command in it, as written, in order, in one bash
 * session with a fresh home folder, and every file it shows written where it says. Only the placeholders of step
 * 5 are filled in (an account id, a video of the emulator, its token), and CLOUDFLARE_BASE_URL points the
 * provider at the emulator in place of Cloudflare: the guide itself never mentions the emulator's address there.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import * as path from "node:path";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { engineEnv } from "../../scripts/engine";
import { ensurePulumiCli, REPO } from "../helpers/engine";
import { cfId, TOKEN } from "../helpers/fixtures";

const GUIDE = path.join(REPO, "docs", "getting-started.md");

/** The guide's steps in order: shell blocks to run, and files to write (a block after a paragraph "`name` ..."). */
export function guideScript(markdown: string, fill: Record<string, string>): { script: string; commands: number } {
  const lines = markdown.split("\n");
  const parts: string[] = ["set -euo pipefail", "set -x"];
  let commands = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)$/.exec(lines[i] ?? "");
    if (!open) continue;
    const end = lines.indexOf("```", i + 1);
    if (end < 0) throw new Error(`an unclosed code block at line ${i + 1} of the guide`);
    const body = lines.slice(i + 1, end).join("\n");
    // A file's block follows a paragraph that starts with its name in backquotes.
    let start = i - 1;
    while (start >= 0 && (lines[start] ?? "").trim() === "") start--;
    while (start > 0 && (lines[start - 1] ?? "").trim() !== "") start--;
    const file = /^`([^`\s]+)`/.exec(lines[start] ?? "")?.[1];
    if (open[1] === "sh") {
      const filled = body.replace(/<[a-z][a-z ]*>/g, (placeholder) => {
        const value = fill[placeholder];
        if (value === undefined) throw new Error(`the guide has a placeholder this test does not fill: ${placeholder}`);
        return value;
      });
      parts.push(filled);
      commands += filled.split("\n").filter((l) => l.trim() !== "").length;
    } else if (file) {
      parts.push(`cat > '${file}' <<'GUIDE_FILE_END'\n${body}\nGUIDE_FILE_END`);
    } else {
      throw new Error(`a ${open[1] || "plain"} block at line ${i + 1} neither runs nor names its file`);
    }
    i = end;
  }
  return { script: parts.join("\n"), commands };
}

describe("docs/getting-started.md, every command as written, through the real engine", function () {
  this.timeout(30 * 60 * 1000);
  let emulator: Emulator;
  let home: string;

  before(async () => {
    ensurePulumiCli();
    emulator = await startEmulator({ token: TOKEN, generationMs: 1000, rateLimit: false });
    home = mkdtempSync(path.join(tmpdir(), "sd-newcomer-home-"));
  });
  after(async () => {
    await emulator?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("packs the package, writes the project, tests it offline, deploys it, prints the URL and cleans up", async () => {
    const account = cfId();
    const video = emulator.createVideo(account);
    const { script, commands } = guideScript(readFileSync(GUIDE, "utf8"), {
      "<account id>": account,
      "<video uid>": video,
      "<token>": TOKEN,
    });
    assert.ok(commands >= 20, `the guide's commands: ${commands}`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...engineEnv(),
      HOME: home,
      CLOUDFLARE_BASE_URL: emulator.baseUrl,
      // The caches a newcomer's machine would have after the Quick start: npm's and the Pulumi CLI's builds.
      npm_config_cache: process.env.npm_config_cache ?? path.join(homedir(), ".npm"),
      npm_config_prefer_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
      PULUMI_CLI_CACHE:
        process.env.PULUMI_CLI_CACHE ??
        path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "stream-download-pulumi-cli"),
    };
    // Only what a newcomer's shell would hold: no passphrase, backend or Pulumi home chosen by the tests.
    for (const key of [
      "PULUMI_CONFIG_PASSPHRASE",
      "PULUMI_BACKEND_URL",
      "PULUMI_HOME",
      "PULUMI_NODEJS_TRANSPILE_ONLY",
    ]) {
      delete env[key];
    }
    // Async: the emulator answers in this process while the guide's pulumi runs.
    const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn("bash", ["-c", script], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      child.on("close", (code) => resolve({ code, output }));
    });
    assert.equal(run.code, 0, run.output.slice(-6000));
    assert.match(run.output, /1 passing/, "the offline test passed");
    assert.match(
      run.output,
      // The emulator serves its download URLs from its own delivery server (Cloudflare's are customer-<code>.cloudflarestream.com).
      new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${video}/downloads/default\\.mp4$`, "m"),
      "pulumi stack output mp4 printed the URL",
    );
    const made = emulator.requests.filter((r) => r.method === "POST" && r.path.includes(`/${video}/downloads/`));
    assert.deepEqual(made.map((r) => r.path.split("/").pop()).sort(), ["audio", "default"]);
    assert.deepEqual(emulator.storedDownloads(account, video), [], "pulumi destroy deleted both downloads");
    assert.ok(!run.output.includes("PULUMI_ACCESS_TOKEN must be set"), "no Pulumi Cloud login was asked for");
  });
});
