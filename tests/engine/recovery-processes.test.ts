/**
 * docs/recovery.md's way to end what a killed `pulumi up` leaves running: the listing command it gives, run as
 * written in the project's folder, shows the CLI's language host and provider (and nothing else of Pulumi's), and
 * ending those by id stops them. Never a kill by name, which would reach every Pulumi process of the user's.
 * Linux only (/proc tells the test which processes the CLI started); the listing itself needs lsof.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { ensurePulumiCli, programDir, type ProgramDir, programEnv, REPO, stackFor } from "../helpers/engine";
import { cfId, TOKEN } from "../helpers/fixtures";

/** What the guide says to end: the command lines of the processes Pulumi starts for a Node.js program. */
const PULUMI_STARTED =
  /pulumi-language-nodejs|pulumi-resource-pulumi-nodejs|@pulumi\/pulumi\/cmd\/run|@pulumi\/pulumi\/cmd\/dynamic-provider/;

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** `pid` and every process below it. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    const ppid = parentOf(Number(entry));
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] ?? 0) ?? []));
  return tree;
}

function isRunning(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The shell block of docs/recovery.md that lists what runs in the project's folder. */
function listingCommand(): string {
  const guide = readFileSync(path.join(REPO, "docs", "recovery.md"), "utf8");
  const blocks = [...guide.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
  const listing = blocks.filter((b) => b.includes("lsof"));
  assert.equal(listing.length, 1, "docs/recovery.md has one listing command");
  return listing[0] ?? "";
}

describe("docs/recovery.md: ending what a killed pulumi up leaves running, by id", function () {
  this.timeout(10 * 60 * 1000);
  let emulator: Emulator;
  let program: ProgramDir;
  const left: number[] = [];

  before(async () => {
    ensurePulumiCli();
    // Generation outlasts the test: the provider is still waiting when the CLI is killed.
    emulator = await startEmulator({ token: TOKEN, generationMs: 10 * 60 * 1000, rateLimit: false });
    program = programDir("downloads");
  });
  after(async () => {
    for (const pid of left.filter(isRunning)) process.kill(pid, "SIGKILL");
    await emulator?.close();
    program?.dispose();
  });

  it("lists the language host and the provider of a killed CLI in the project's folder; kill <pid> ends them", async () => {
    const account = cfId();
    const video = emulator.createVideo(account);
    const env = { STREAM_DOWNLOAD_MODULE: path.join(REPO, "src", "index.ts") };
    const stack = await stackFor(program, "killed", env);
    await stack.setConfig("cloudflare:apiToken", { value: TOKEN, secret: true });
    await stack.setConfig("cloudflare:baseUrl", { value: emulator.baseUrl });
    await stack.setConfig("resources", {
      value: JSON.stringify([{ name: "talk", accountId: account, identifier: video, downloadTypes: ["default"] }]),
    });

    const cli = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", "killed"], {
      cwd: program.dir,
      env: { ...process.env, ...programEnv(program, env) },
      detached: true, // a process group of its own, as a shell gives a foreground job
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => cli.on("close", resolve));
    await waitFor("the download to be requested", () => emulator.storedDownloads(account, video).length === 1, 180_000);
    const tree = processTree(cli.pid ?? 0);
    left.push(...tree);
    process.kill(cli.pid ?? 0, "SIGKILL");
    await exited;

    const survivors = tree.filter(isRunning);
    assert.ok(survivors.length >= 2, `the killed CLI left processes running: ${survivors.join(", ")}`);
    const listed = await new Promise<string>((resolve) => {
      const run = spawn("bash", ["-c", listingCommand()], { cwd: program.dir, stdio: ["ignore", "pipe", "ignore"] });
      let out = "";
      run.stdout.on("data", (d: Buffer) => (out += d.toString()));
      run.on("close", () => resolve(out));
    });
    const pulumiLines = listed
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => PULUMI_STARTED.test(line));
    const pids = pulumiLines.map((line) => Number(line.split(/\s+/)[0]));
    assert.ok(
      pulumiLines.some((l) => /pulumi-language-nodejs/.test(l)),
      `the language host is listed:\n${listed}`,
    );
    assert.ok(
      pulumiLines.some((l) => /cmd\/dynamic-provider/.test(l)),
      `the provider is listed:\n${listed}`,
    );
    assert.deepEqual(
      pids.filter((pid) => !tree.includes(pid)),
      [],
      "every listed Pulumi process is one the killed CLI started",
    );

    for (const pid of pids) process.kill(pid); // kill <pid>: SIGTERM, one id at a time
    await waitFor("the listed processes to end", () => !pids.some(isRunning), 30_000);
    assert.deepEqual(survivors.filter(isRunning), [], "nothing of the killed CLI's tree runs any more");
  });
});
