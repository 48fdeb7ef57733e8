/**
 * Interrupting `pulumi up` while StreamDownloads wait for their downloads: Ctrl-C once, Ctrl-C twice, and a
 * SIGKILL of the whole process tree, each followed by the recovery a user would run. The CLI runs as a real
 * child process, as in a terminal; the emulator runs in this process, so nothing here may block the event loop
 * (no execFileSync while a CLI talks to it).
 */
import assert from "node:assert/strict";
import type { Stack } from "@pulumi/pulumi/automation";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import * as path from "node:path";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import type { DownloadType } from "../../src/core/types";
import { ensurePulumiCli, programDir, type ProgramDir, programEnv, REPO, stackFor } from "../helpers/engine";
import { cfId, TOKEN } from "../helpers/fixtures";
import type { ResourceSpec } from "../programs/downloads/spec";

/** Long enough that every interrupt lands while the provider waits for the downloads. */
const GENERATION_MS = 8000;
const BOTH: DownloadType[] = ["default", "audio"];

/**
 * What a user runs after `pulumi up` was killed (SIGKILL, a lost machine) or stopped by a second Ctrl-C, before
 * `pulumi up` again; docs/recovery.md quotes these. Tested with CLI v3.276.0.
 * - `cancel`: a killed CLI leaves the stack locked (the file backend's `.pulumi/locks/…`, or an update that
 *   Pulumi Cloud thinks is running) and every later command fails with "the stack is currently locked".
 *   It succeeds when nothing is locked, so it is always safe to run once no other `pulumi` runs on the stack.
 * - `refresh --clear-pending-creates`: drops the creates Pulumi never heard the end of. A plain `refresh`
 *   keeps them when not interactive; `up` with them pending adopts the downloads but keeps them (and warns).
 */
const RECOVERY_COMMANDS: readonly string[][] = [
  ["cancel", "--yes"],
  ["refresh", "--clear-pending-creates", "--yes"],
];

type Spec = ResourceSpec & { downloadTypes: DownloadType[] };

interface Deployment {
  resources?: Array<{ urn: string; type: string; id?: string; outputs?: Record<string, unknown> }>;
  pending_operations?: Array<{ type: string; resource: { urn: string } }>;
}

interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** When the process exited, ms epoch. */
  at: number;
}

/** A `pulumi` process started as in a terminal: its own process group, its output collected. */
interface CliProcess {
  pid: number;
  output(): string;
  exited: Promise<CliExit>;
}

// --- processes (Linux /proc) ------------------------------------------------------------------------------------

/** `ppid`, process group and state of a process, or undefined once it is gone. */
function procStat(pid: number): { ppid: number; pgid: number; state: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Field 2, the command name, is in parentheses and may contain spaces: read the fields after the last ")".
  const [state = "", ppid = "0", pgid = "0"] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(ppid), pgid: Number(pgid), state };
}

function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== "Z";
}

/**
 * `pid` and all its descendants. Pulumi starts each plugin (language host, provider) in a process group of its
 * own, so killing the CLI's group does not reach them: a whole-tree kill has to name every process.
 */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(entry)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] ?? 0) ?? []));
  return tree;
}

function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(what: string, condition: () => boolean, timeoutMs: number, cli?: CliProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void cli?.exited.then(() => (exited = true));
  while (!condition()) {
    if (exited) assert.fail(`pulumi exited before ${what}:\n${cli?.output()}`);
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}\n${cli?.output() ?? ""}`);
    await sleep(100);
  }
}

// --- the tests --------------------------------------------------------------------------------------------------

describe("interrupting pulumi up while StreamDownloads wait (real CLI processes)", function () {
  this.timeout(10 * 60 * 1000);
  let emulator: Emulator;
  let program: ProgramDir;
  let stack: Stack;
  let account: string;
  let specs: Spec[];
  /** Every process seen in a CLI's tree, for the straggler check in afterEach. */
  let seen: Set<number>;

  before(async () => {
    ensurePulumiCli();
    emulator = await startEmulator({ token: TOKEN, generationMs: GENERATION_MS, rateLimit: false });
    program = programDir("downloads");
  });
  after(async () => {
    await emulator?.close();
    program?.dispose();
  });

  beforeEach(async function () {
    seen = new Set();
    account = cfId();
    const name =
      this.currentTest?.title
        .replace(/[^a-z0-9]+/gi, "-")
        .slice(0, 40)
        .toLowerCase() ?? "t";
    stack = await stackFor(program, name, { STREAM_DOWNLOAD_MODULE: path.join(REPO, "src", "index.ts") });
    await stack.setConfig("cloudflare:apiToken", { value: TOKEN, secret: true });
    await stack.setConfig("cloudflare:baseUrl", { value: emulator.baseUrl });
    specs = ["talk", "keynote"].map((name) => ({
      name,
      accountId: account,
      identifier: emulator.createVideo(account),
      downloadTypes: BOTH,
    }));
    await stack.setConfig("resources", { value: JSON.stringify(specs) });
  });

  afterEach(async () => {
    // Stragglers: anything of a CLI's tree still running in the program dir (the cwd check guards against a
    // reused pid). Each plugin leads its own process group, so kill by group where the process leads one.
    const stragglers = [...seen].filter(isRunning).flatMap(processTree);
    for (const pid of new Set(stragglers)) {
      if (!cwdOf(pid)?.startsWith(program.dir)) continue;
      try {
        process.kill(procStat(pid)?.pgid === pid ? -pid : pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    // The downloads stay in the emulator: every test has its own account, and nothing reads them again.
    await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
  });

  /** Starts `pulumi <args> --stack <stack> --non-interactive` in the program dir, as a user would in a terminal. */
  function startCli(args: string[]): CliProcess {
    const env = {
      ...process.env,
      ...programEnv(program, { STREAM_DOWNLOAD_MODULE: path.join(REPO, "src", "index.ts") }),
    };
    const child = spawn("pulumi", [...args, "--stack", stack.name, "--non-interactive"], {
      cwd: program.dir,
      env,
      detached: true, // a process group of its own, as a shell gives a foreground job
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pid = child.pid;
    assert.ok(pid !== undefined, "pulumi started");
    seen.add(pid);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<CliExit>((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    return { pid, output: () => output, exited };
  }

  async function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
    const cli = startCli(args);
    const { code } = await cli.exited;
    return { code, output: cli.output() };
  }

  /** The recovery docs/recovery.md documents, step by step; each step must succeed. */
  async function recoverInterruptedUp(): Promise<void> {
    for (const args of RECOVERY_COMMANDS) {
      const { code, output } = await runCli(args);
      assert.equal(code, 0, `pulumi ${args.join(" ")} succeeds:\n${output}`);
    }
  }

  /** Starts `pulumi up` and resolves once every wanted download was POSTed, i.e. while the provider waits. */
  async function upUntilWaiting(): Promise<{ cli: CliProcess; createdAt: Map<string, number>; readyAt: number }> {
    const cli = startCli(["up", "--yes", "--skip-preview"]);
    const wanted = specs.reduce((n, s) => n + s.downloadTypes.length, 0);
    const stored = () => specs.flatMap((s) => emulator.storedDownloads(account, s.identifier));
    await waitFor("the downloads to be requested", () => stored().length === wanted, 3 * 60 * 1000, cli);
    for (const pid of processTree(cli.pid)) seen.add(pid);
    const createdAt = new Map<string, number>();
    for (const s of specs) {
      for (const d of emulator.storedDownloads(account, s.identifier))
        createdAt.set(`${s.identifier}/${d.type}`, d.createdAt);
    }
    return { cli, createdAt, readyAt: Math.max(...stored().map((d) => d.readyAt)) };
  }

  async function deployment(): Promise<Deployment> {
    return (await stack.exportStack()).deployment as Deployment;
  }

  function pendingCreates(d: Deployment): string[] {
    return (d.pending_operations ?? []).map((op) => `${op.type} ${op.resource.urn.split("::").pop()}`).sort();
  }

  function lockFiles(): string[] {
    const locks = path.join(program.backend, ".pulumi", "locks");
    if (!existsSync(locks)) return [];
    return readdirSync(locks, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".json"));
  }

  /** Pulumi's plugins ended too: nothing of the interrupted CLI's tree still runs. */
  async function assertNoProcessLeft(): Promise<void> {
    await waitFor("the interrupted CLI's plugins to exit", () => ![...seen].some(isRunning), 15_000);
  }

  /**
   * The stack converged: each resource once in state with the wanted types, nothing pending; the emulator holds
   * exactly those downloads for the account, all ready; each was adopted (same createdAt), not generated again.
   */
  async function assertConverged(createdAt: Map<string, number>): Promise<void> {
    const d = await deployment();
    assert.deepEqual(pendingCreates(d), [], "no pending operations");
    const inState = (d.resources ?? [])
      .filter((r) => r.type.endsWith("StreamDownload"))
      .map((r) => [r.urn.split("::").pop(), r.id, BOTH.filter((t) => r.outputs?.[t] !== undefined)]);
    assert.deepEqual(
      inState.sort(),
      specs.map((s) => [s.name, `${account}/${s.identifier}`, s.downloadTypes]).sort(),
      "every resource is in state once, with its downloads",
    );
    const held = emulator
      .allDownloads()
      .filter((x) => x.accountId === account)
      .map((x) => `${x.uid}/${x.type} ${x.status}`);
    const wanted = specs.flatMap((s) => s.downloadTypes.map((t) => `${s.identifier}/${t} ready`));
    assert.deepEqual(held.sort(), wanted.sort(), "the emulator holds exactly the wanted downloads, all ready");
    for (const s of specs) {
      for (const x of emulator.storedDownloads(account, s.identifier)) {
        const key = `${s.identifier}/${x.type}`;
        assert.equal(x.createdAt, createdAt.get(key), `${key} was adopted, not generated again`);
      }
    }
  }

  function writes(): string[] {
    return emulator.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);
  }

  it("one SIGINT lets the waiting creates finish and records them; the next up changes nothing", async () => {
    const { cli, createdAt, readyAt } = await upUntilWaiting();
    const signalled = Date.now();
    process.kill(cli.pid, "SIGINT");
    const exit = await cli.exited;
    const seconds = ((exit.at - signalled) / 1000).toFixed(1);
    console.log(`      one SIGINT: pulumi exited with code ${exit.code} after ${seconds} s`);

    assert.equal(exit.code, 1, `the cancelled update fails:\n${cli.output()}`);
    assert.match(cli.output(), /\^C received; cancelling/);
    assert.match(cli.output(), /error: update canceled/);
    assert.ok(exit.at >= readyAt, "pulumi waited for the in-flight creates until the downloads were ready");
    assert.match(cli.output(), /StreamDownload talk created/);
    assert.match(cli.output(), /StreamDownload keynote created/);
    await assertNoProcessLeft();
    assert.deepEqual(lockFiles(), [], "the stack is not left locked");
    await assertConverged(createdAt);

    emulator.resetRequests();
    const { code, output } = await runCli(["up", "--yes", "--skip-preview"]);
    assert.equal(code, 0, output);
    assert.deepEqual(writes(), [], "the next up neither creates nor deletes anything");
    await assertConverged(createdAt);
  });

  it("a second SIGINT stops at once and leaves pending creates; the recovery and up adopt the downloads", async () => {
    // The downloads take longer than this test may run, so both SIGINTs land while the provider waits however
    // loaded the machine is; once pulumi has exited, the emulator's clock jumps past their readiness.
    const realNow = emulator.options.now;
    emulator.options.generationMs = 9 * 60 * 1000;
    try {
      const { cli, createdAt, readyAt } = await upUntilWaiting();
      const signalled = Date.now();
      process.kill(cli.pid, "SIGINT");
      await waitFor("pulumi to notice the first SIGINT", () => /\^C received/.test(cli.output()), 60_000, cli);
      process.kill(cli.pid, "SIGINT");
      const exit = await cli.exited;
      const seconds = ((exit.at - signalled) / 1000).toFixed(1);
      console.log(`      two SIGINTs: pulumi exited with code ${exit.code} after ${seconds} s`);

      assert.notEqual(exit.code, 0, cli.output());
      assert.match(cli.output(), /\^C received; terminating/);
      assert.match(cli.output(), /creating \(interrupted\)/);
      assert.deepEqual(
        specs.flatMap((s) => BOTH.map((t) => emulator.downloads(account, s.identifier)[t]?.status)),
        ["inprogress", "inprogress", "inprogress", "inprogress"],
        "pulumi did not wait for the downloads: they are still being generated",
      );
      await assertNoProcessLeft();
      const d = await deployment();
      assert.deepEqual(pendingCreates(d), ["creating keynote", "creating talk"]);
      assert.ok(!(d.resources ?? []).some((r) => r.type.endsWith("StreamDownload")), "nothing recorded as created");

      const jump = readyAt - Date.now();
      emulator.options.now = () => Date.now() + jump;
      emulator.resetRequests();
      await recoverInterruptedUp();
      const { code, output } = await runCli(["up", "--yes", "--skip-preview"]);
      assert.equal(code, 0, output);
      assert.match(output, /adopting the existing download/);
      assert.deepEqual(writes(), [], "nothing is created again, nothing deleted");
      await assertConverged(createdAt);
    } finally {
      emulator.options.now = realNow;
      emulator.options.generationMs = GENERATION_MS;
    }
  });

  it("SIGKILL of the whole process tree leaves a lock and pending creates; the recovery and up adopt them", async () => {
    const { cli, createdAt } = await upUntilWaiting();
    const tree = processTree(cli.pid);
    assert.ok(tree.length >= 3, `the CLI, its language host and its provider run: ${tree.join(", ")}`);
    for (const pid of tree) process.kill(pid, "SIGKILL");
    const exit = await cli.exited;
    assert.equal(exit.signal, "SIGKILL");
    await assertNoProcessLeft();
    assert.equal(lockFiles().length, 1, "the killed CLI left its lock");
    assert.deepEqual(pendingCreates(await deployment()), ["creating keynote", "creating talk"]);
    const locked = await runCli(["up", "--yes", "--skip-preview"]);
    assert.notEqual(locked.code, 0);
    assert.match(locked.output, /the stack is currently locked/, "why the recovery starts with pulumi cancel");

    emulator.resetRequests();
    await recoverInterruptedUp();
    assert.deepEqual(lockFiles(), []);
    const { code, output } = await runCli(["up", "--yes", "--skip-preview"]);
    assert.equal(code, 0, output);
    assert.deepEqual(writes(), [], "nothing is created again, nothing deleted");
    await assertConverged(createdAt);
  });
});
