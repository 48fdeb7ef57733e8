/**
 * A soak through the real Pulumi engine: cycles of up, change, up, destroy on one stack (8 in `npm test`; set
 * STREAM_DOWNLOAD_SOAK_CYCLES for a longer soak, e.g. 20, as before a release), with the emulator
 * failing 5 % of requests at random. Every cycle must converge: after each up the emulator holds exactly the
 * downloads the stack's outputs name, after each destroy none. An operation that fails despite the provider's
 * retries is run once more, as a user would, and counted: at most MAX_RERUNS in all, or the soak fails.
 */
import assert from "node:assert/strict";
import type { Stack } from "@pulumi/pulumi/automation";
import * as path from "node:path";
import type { Fault } from "../../src/emulator/faults";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import type { DownloadType } from "../../src/core/types";
import { ensurePulumiCli, programDir, type ProgramDir, REPO, stackFor } from "../helpers/engine";
import { cfId, TOKEN } from "../helpers/fixtures";
import type { ResourceSpec } from "../programs/downloads/spec";

const CYCLES = soakCycles(process.env.STREAM_DOWNLOAD_SOAK_CYCLES);

function soakCycles(value: string | undefined): number {
  if (value === undefined || value === "") return 8;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`STREAM_DOWNLOAD_SOAK_CYCLES must be a whole number from 1, got "${value}"`);
  return n;
}
const FAILURE_RATE = 0.05;
/**
 * Reruns allowed in all, of the 3 engine operations a cycle. The provider retries each request up to 5 times, so
 * an operation should fail despite that only when one request meets 5 faults in a row (about 3 in 10 million at
 * 5 %): a rerun is rare, and a bug that failed every first attempt would need one per operation.
 */
const MAX_RERUNS = 2;
/** The default random faults, with the 429's Retry-After kept at 1 s so that the soak stays short. */
const FAULTS: Fault[] = [
  { kind: "status", status: 500 },
  { kind: "status", status: 503 },
  { kind: "reset" },
  { kind: "rateLimited", retryAfterSeconds: 1 },
];

type Spec = ResourceSpec & { downloadTypes: DownloadType[] };

type Outputs = Record<string, { id: string } & Partial<Record<DownloadType, { status: string; url: string }>>>;

describe("StreamDownload soak through the real Pulumi engine, 5 % of requests failing", function () {
  this.timeout(60 * 60 * 1000);
  let emulator: Emulator;
  let program: ProgramDir;
  let stack: Stack;

  before(async () => {
    ensurePulumiCli();
    emulator = await startEmulator({ token: TOKEN, generationMs: 300, rateLimit: false });
    program = programDir("downloads");
    stack = await stackFor(program, "soak", { STREAM_DOWNLOAD_MODULE: path.join(REPO, "src", "index.ts") });
    await stack.setConfig("cloudflare:apiToken", { value: TOKEN, secret: true });
    await stack.setConfig("cloudflare:baseUrl", { value: emulator.baseUrl });
  });
  after(async () => {
    emulator?.setRandomFailures(null);
    await stack?.destroy().catch(() => undefined);
    await emulator?.close();
    program?.dispose();
  });

  it(`converges on every one of ${CYCLES} cycles of up, change and destroy`, async () => {
    const account = cfId();
    const videos = [emulator.createVideo(account), emulator.createVideo(account), emulator.createVideo(account)];
    const [v0 = "", v1 = "", v2 = ""] = videos;
    const reruns: string[] = [];

    /** Runs an engine operation; if it fails despite the retries, once more (what a user does). */
    async function withOneRerun<T>(what: string, op: () => Promise<T>): Promise<T> {
      try {
        return await op();
      } catch (error) {
        const reason = (error as Error).message.match(/error: (.*)/)?.[1] ?? (error as Error).message.slice(0, 200);
        reruns.push(`${what}: ${reason}`);
        assert.ok(
          reruns.length <= MAX_RERUNS,
          `more than ${MAX_RERUNS} operations failed despite the retries:\n${reruns.join("\n")}`,
        );
        return await op();
      }
    }

    /** After an up: the outputs name the wanted downloads, all ready, and the emulator holds exactly those. */
    function assertHolds(cycle: number, specs: Spec[], outputs: Outputs): void {
      const named = Object.entries(outputs).flatMap(([name, o]) =>
        (["default", "audio"] as const).flatMap((t) =>
          o[t] ? [`${name} ${o.id.split("/")[1]}/${t} ${o[t]?.status}`] : [],
        ),
      );
      const wanted = specs.flatMap((s) => s.downloadTypes.map((t) => `${s.name} ${s.identifier}/${t} ready`));
      assert.deepEqual(named.sort(), wanted.sort(), `cycle ${cycle}: the outputs name the wanted downloads`);
      const held = emulator
        .allDownloads()
        .filter((d) => d.accountId === account)
        .map((d) => `${d.uid}/${d.type} ${d.status}`);
      const said = named.map((n) => n.slice(n.indexOf(" ") + 1));
      assert.deepEqual(held.sort(), said.sort(), `cycle ${cycle}: the emulator holds exactly what the outputs say`);
    }

    async function up(cycle: number, what: string, specs: Spec[]): Promise<void> {
      await stack.setConfig("resources", { value: JSON.stringify(specs) });
      const result = await withOneRerun(`cycle ${cycle} ${what}`, () => stack.up());
      assertHolds(cycle, specs, result.outputs.downloads?.value as Outputs);
    }

    const spec = (name: string, identifier: string, downloadTypes: DownloadType[]): Spec => ({
      name,
      accountId: account,
      identifier,
      downloadTypes,
    });
    const changes: Array<{ what: string; specs: Spec[] }> = [
      { what: "add audio", specs: [spec("a", v0, ["default", "audio"]), spec("b", v1, ["default", "audio"])] },
      { what: "remove audio", specs: [spec("a", v0, ["default"]), spec("b", v1, ["default"])] },
      { what: "switch video", specs: [spec("a", v2, ["default"]), spec("b", v1, ["default", "audio"])] },
    ];

    emulator.resetRequests();
    emulator.setRandomFailures({ rate: FAILURE_RATE, seed: 42, faults: FAULTS });
    const started = Date.now();
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      await up(cycle, "up", [spec("a", v0, ["default"]), spec("b", v1, ["default", "audio"])]);
      const change = changes[(cycle - 1) % changes.length];
      assert.ok(change);
      await up(cycle, change.what, change.specs);
      await withOneRerun(`cycle ${cycle} destroy`, () => stack.destroy());
      const left = emulator.allDownloads().filter((d) => d.accountId === account);
      assert.deepEqual(left, [], `cycle ${cycle}: destroy leaves no download`);
    }
    const seconds = (Date.now() - started) / 1000;
    emulator.setRandomFailures(null);

    const faults = emulator.requests.filter((r) => r.fault !== undefined).length;
    const state = (await stack.exportStack()).deployment as { resources?: unknown[] };
    assert.equal((state.resources ?? []).length, 0, "the stack is empty after the last destroy");
    assert.ok(faults > 0, "the soak met injected failures");
    assert.ok(reruns.length <= MAX_RERUNS, `at most ${MAX_RERUNS} reruns: ${reruns.length}`);
    console.log(
      `      soak: ${CYCLES} cycles, ${CYCLES * 3} engine operations in ${seconds.toFixed(0)} s ` +
        `(${(seconds / (CYCLES * 3)).toFixed(1)} s each); ${faults} of ${emulator.requests.length} requests ` +
        `failed on purpose; ${reruns.length} rerun(s)${reruns.map((r) => `\n        rerun: ${r}`).join("")}`,
    );
  });
});
