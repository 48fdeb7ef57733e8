/**
 * The live check's call of the video list (`GET /accounts/{id}/stream?id=...`), against emulators standing in for
 * Cloudflare: nothing to say in the default dialect; a refused list, a list in another shape and a list without
 * the video are named as differences, with what the provider does then, and the check still completes.
 */
import assert from "node:assert/strict";
import { main } from "../../scripts/live-check";
import { type EmulatorOptions, startEmulator, type Emulator } from "../../src/emulator/server";
import { cfId, TOKEN } from "../helpers/fixtures";

const LAST_LINE = /^live-check: (\d+) calls, (\d+) differences from the emulator$/;
const FALLBACK = "the provider then reads each video with its own request";

interface Run {
  code: number;
  out: string[];
}

describe("live check: the video list", function () {
  this.timeout(60_000);
  const emulators: Emulator[] = [];
  after(() => Promise.all(emulators.map((e) => e.close())));

  /** Runs the check for one download type against a stand-in with one video ready to stream. */
  async function check(
    options: EmulatorOptions = {},
    prepare?: (e: Emulator) => void,
  ): Promise<Run & { emulator: Emulator }> {
    const emulator = await startEmulator({ token: TOKEN, generationMs: 300, downloadUrls: "cloudflare", ...options });
    emulators.push(emulator);
    prepare?.(emulator);
    const account = cfId();
    const video = emulator.createVideo(account);
    const env: NodeJS.ProcessEnv = { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: emulator.baseUrl };
    const out: string[] = [];
    const code = await main(["--account", account, "--video", video, "--types", "default"], env, {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    const printed = out.join("\n");
    for (const secret of [TOKEN, account, video]) assert.ok(!printed.includes(secret), `the output shows ${secret}`);
    return { code, out, emulator };
  }

  const differences = (run: Run) => run.out.filter((l) => l.startsWith("difference: "));
  const summary = (run: Run) => LAST_LINE.exec(run.out[run.out.length - 1] ?? "");

  it("reads the video through the list filtered by two ids, and finds nothing to say in the default dialect", async () => {
    const run = await check();
    assert.equal(run.code, 0, run.out.join("\n"));
    assert.deepEqual(differences(run), []);
    const listed = run.emulator.requests.filter((r) => r.path.endsWith("/stream"));
    assert.equal(listed.length, 1);
    assert.match(listed[0]?.query ?? "", /^id=[0-9a-f]{32},0{32}&limit=2$/);
    assert.ok(
      run.out.includes(
        "GET /accounts/<account>/stream?id=<video>,<redacted>&limit=2 200 video list: 1 entry, the video: " +
          "readyToStream true, state ready, pctComplete a numeric string, requireSignedURLs false; 25 keys",
      ),
      run.out.join("\n"),
    );
    assert.equal(Number(summary(run)?.[1]), run.emulator.requests.length, "every call counted");
  });

  it("names a refused list (403) and completes, deleting what it created", async () => {
    const run = await check({ videoList: "forbidden" });
    assert.equal(run.code, 0, run.out.join("\n"));
    assert.deepEqual(differences(run), [
      `difference: GET video list $: live failed (HTTP 403; ${FALLBACK}), emulator an array`,
    ]);
    assert.equal(summary(run)?.[2], "1");
    assert.deepEqual(run.emulator.allDownloads(), []);
  });

  it("names a list in a shape the provider does not read as a list", async () => {
    const run = await check({ videoList: "object" });
    assert.equal(run.code, 0);
    assert.deepEqual(differences(run), [
      `difference: GET video list $: live an object, not a list of videos (${FALLBACK}), emulator an array`,
    ]);
  });

  it("names a list that does not show the video", async () => {
    const run = await check({}, (e) =>
      e.addFault({ method: "GET", path: /\/stream$/, fault: { kind: "rewriteResult", result: [] } }),
    );
    assert.equal(run.code, 0);
    assert.deepEqual(differences(run), [
      `difference: GET video list $: live no entry for the video (${FALLBACK}: a list may lag behind an upload), emulator its entry`,
    ]);
  });

  it("compares a listed video's shape as it compares the video's own answer", async () => {
    const run = await check({ videoDialect: { pctCompleteAsNumber: true } });
    assert.equal(run.code, 0);
    assert.deepEqual(differences(run), [
      "difference: GET video $.status.pctComplete: live a number, emulator a numeric string",
      "difference: GET video list $[0].status.pctComplete: live a number, emulator a numeric string",
    ]);
  });
});
