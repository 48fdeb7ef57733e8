/**
 * Switching from cloudflare.StreamDownload to this package's StreamDownload through the real Pulumi engine, as the
 * docs/switching.md describes: the trap (the switch in one `pulumi up`), and the
 * two safe paths (`retainOnDelete`, and `pulumi state delete`).
 *
 * The old resource is a stand-in (tests/programs/switch/index.ts): a small dynamic resource that makes exactly the
 * legacy calls the bridged cloudflare.StreamDownload makes (create `POST .../downloads`, delete `DELETE
 * .../downloads`, no download type). The real @pulumi/cloudflare provider plugin cannot be downloaded here: there
 * is no internet, and `pulumi plugin install resource cloudflare` fails.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Stack } from "@pulumi/pulumi/automation";
import * as path from "node:path";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { ensurePulumiCli, programDir, type ProgramDir, programEnv, REPO, stackFor } from "../helpers/engine";
import { cfId, TOKEN } from "../helpers/fixtures";

const OLD_TYPE = "pulumi-nodejs:dynamic/legacy:StreamDownload";
const NEW_TYPE = "pulumi-nodejs:dynamic/cloudflare:StreamDownload";

interface StateResource {
  urn: string;
  type: string;
  outputs?: Record<string, unknown>;
}

describe("switching from cloudflare.StreamDownload through the real Pulumi engine (a stand-in old resource)", function () {
  this.timeout(10 * 60 * 1000);
  let emulator: Emulator;
  let program: ProgramDir;
  let stack: Stack;
  let account: string;
  let video: string;
  let log: string[];
  const collect = { onOutput: (s: string) => log.push(s) };

  before(async () => {
    ensurePulumiCli();
    emulator = await startEmulator({ token: TOKEN, generationMs: 500, rateLimit: false });
    program = programDir("switch");
  });
  after(async () => {
    await emulator?.close();
    program?.dispose();
  });

  beforeEach(async function () {
    log = [];
    account = cfId();
    video = emulator.createVideo(account);
    const name = (this.currentTest?.title ?? "t")
      .replace(/[^a-z0-9]+/gi, "-")
      .slice(0, 40)
      .toLowerCase();
    stack = await stackFor(program, name, {
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_BASE_URL: emulator.baseUrl,
      STREAM_DOWNLOAD_MODULE: path.join(REPO, "src", "index.ts"),
    });
    await stack.setAllConfig({ accountId: { value: account }, videoId: { value: video } });
  });
  afterEach(async () => {
    await stack.destroy().catch(() => undefined);
    await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
  });

  async function upWith(phase: "old" | "new", retainOld = false): Promise<void> {
    await stack.setAllConfig({ phase: { value: phase }, retainOld: { value: String(retainOld) } });
    await stack.up(collect);
  }

  async function resources(): Promise<StateResource[]> {
    const d = (await stack.exportStack()).deployment as { resources?: StateResource[] };
    return (d.resources ?? []).filter((r) => r.type === OLD_TYPE || r.type === NEW_TYPE);
  }

  /** Writes to Cloudflare since the last reset, with the account and video left out. */
  function writes(): string[] {
    return emulator.requests
      .filter((r) => r.method !== "GET")
      .map((r) => `${r.method} ${r.path.replace(`/accounts/${account}/stream/${video}`, "")} ${r.status}`);
  }

  /** The old resource's up: the legacy POST made the default download, recorded with the account id as its id. */
  async function oldResourceCreated(retainOld = false): Promise<number> {
    emulator.resetRequests();
    await upWith("old", retainOld);
    assert.deepEqual(writes(), ["POST /downloads 200"], "the stand-in makes the legacy POST, with no type");
    const [old] = await resources();
    assert.equal(old?.type, OLD_TYPE);
    const stored = emulator.storedDownloads(account, video);
    assert.deepEqual(
      stored.map((d) => d.type),
      ["default"],
    );
    return stored[0]?.createdAt ?? -1;
  }

  /** Ours adopted the old download: no POST, the same download (same createdAt), ready in our outputs. */
  async function adoptedAndAlive(createdAt: number): Promise<void> {
    assert.match(log.join(""), /adopting the existing download/);
    const stored = emulator.storedDownloads(account, video);
    assert.deepEqual(
      stored.map((d) => [d.type, d.createdAt]),
      [["default", createdAt]],
      "the download lives on: the same one, not generated again",
    );
    assert.equal(emulator.downloads(account, video).default?.status, "ready");
    await stack.refresh(collect);
    const state = await resources();
    assert.deepEqual(
      state.map((r) => r.type),
      [NEW_TYPE],
      "only ours is left in the stack",
    );
    const recorded = state[0]?.outputs?.default as { status?: string; url?: string } | undefined;
    assert.equal(recorded?.status, "ready", "refresh finds it ready");
    assert.match(recorded?.url ?? "", new RegExp(`/${video}/downloads/default\\.mp4$`));
  }

  it("the trap: switching in one up deletes the download ours adopted, and refresh notices", async () => {
    await oldResourceCreated();
    emulator.resetRequests();
    await upWith("new");

    // One up: ours is created first and adopts the download; then the old resource's delete removes it.
    assert.match(log.join(""), /adopting the existing download/);
    assert.deepEqual(writes(), ["DELETE /downloads 200"], "the old resource's legacy DELETE, after the adoption");
    assert.deepEqual(emulator.storedDownloads(account, video), [], "the download is gone: the URL is broken");

    log = [];
    await stack.refresh(collect);
    assert.match(log.join(""), /default: the download is gone from Cloudflare\..*cloudflare\.StreamDownload/s);
    const state = await resources();
    assert.ok(
      !state.some((r) => (r.outputs?.default as { status?: string } | undefined)?.status === "ready"),
      "nothing in state claims a ready download any more",
    );
  });

  it("the safe path with retainOnDelete: the old resource leaves the stack without deleting, ours adopts the download", async () => {
    const createdAt = await oldResourceCreated();
    emulator.resetRequests();
    await upWith("old", true);
    assert.deepEqual(writes(), [], "marking the old resource retainOnDelete sends nothing");

    log = [];
    await upWith("new");
    assert.deepEqual(writes(), [], "no create and, above all, no legacy DELETE");
    await adoptedAndAlive(createdAt);
  });

  it("the safe path with pulumi state delete: the old resource leaves the stack without deleting, ours adopts it", async () => {
    const createdAt = await oldResourceCreated();
    const [old] = await resources();
    assert.ok(old);
    emulator.resetRequests();
    // As a user runs it (asynchronously: the emulator answers from this process).
    await promisify(execFile)("pulumi", ["state", "delete", old.urn, "--stack", stack.name, "--yes"], {
      cwd: program.dir,
      env: { ...process.env, ...programEnv(program) },
    });
    assert.deepEqual(
      (await resources()).map((r) => r.type),
      [],
      "the old resource left the stack",
    );
    assert.deepEqual(writes(), [], "state delete sends nothing");

    log = [];
    await upWith("new");
    assert.deepEqual(writes(), [], "no create and no legacy DELETE");
    await adoptedAndAlive(createdAt);
  });
});
