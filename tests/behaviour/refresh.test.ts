import assert from "node:assert/strict";
import type { StreamDownloadOutputs } from "../../src/core/types";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { FACES } from "../helpers/faces";
import { cfId, inputsFor, recordingClock, TOKEN } from "../helpers/fixtures";

/**
 * Refresh's second look, on each face: when the list of a video's downloads misses a managed download, refresh
 * reads it again before calling it gone, and of the two reads the newer wins for every type it lists; a type
 * only the older read lists was there a moment ago, and is kept. Lists that lag are played by rewriting the
 * emulator's answers; the downloads themselves stay ready throughout.
 */
for (const makeFace of FACES)
  describe(`refresh reading the list twice: ${makeFace().name} face`, () => {
    let emulator: Emulator;
    const face = makeFace();
    const account = cfId();
    let video: string;

    before(async () => {
      emulator = await startEmulator({ token: TOKEN, generationMs: 100, rateLimit: false });
    });
    after(async () => {
      await face.close();
      await emulator.close();
    });
    beforeEach(() => {
      emulator.clearFaults();
      video = emulator.createVideo(account);
      emulator.createDownload(account, video, "default", { ready: true });
      emulator.createDownload(account, video, "audio", { ready: true });
    });

    /** The state an up recorded for both downloads of the video (adopted: they exist and are ready). */
    async function recorded(): Promise<StreamDownloadOutputs> {
      const p = await face.provider(emulator);
      const { outs } = await p.create(inputsFor(account, video, { downloadTypes: ["default", "audio"] }));
      assert.equal(outs.audio?.status, "ready");
      return outs;
    }

    /** The list as Cloudflare sends it now, with each download `changed` as given. */
    function listWith(changed: Record<string, object | undefined>): Record<string, unknown> {
      const now = emulator.downloads(account, video) as Record<string, object | undefined>;
      const list: Record<string, unknown> = {};
      for (const type of ["default", "audio"]) {
        const entry = type in changed ? changed[type] : now[type];
        if (entry !== undefined) list[type] = { ...now[type], ...entry };
      }
      return list;
    }

    /** The next `GET .../downloads` answers `result`; returns the rule, to count that it applied. */
    function nextListAnswers(result: unknown) {
      return emulator.addFault({ method: "GET", path: /\/downloads$/, fault: { kind: "rewriteResult", result } });
    }

    it("takes the newer read's state for every type it lists, not the older one's", async () => {
      const outs = await recorded();
      // The first read lags: it misses default, and shows audio as it was while being generated.
      const lagging = nextListAnswers(
        listWith({ default: undefined, audio: { status: "inprogress", percentComplete: 40 } }),
      );
      const p = await face.provider(emulator, { clock: recordingClock() });
      const result = await p.read(`${account}/${video}`, outs);

      assert.equal(lagging.applied, 1);
      assert.equal(result.id, `${account}/${video}`);
      assert.equal(result.props?.default?.status, "ready");
      assert.equal(result.props?.audio?.status, "ready", "the newer read's audio, not the older read's inprogress");
      assert.equal(result.props?.audio?.percentComplete, 100);
      assert.ok(!p.lines.some((l) => /is gone from Cloudflare/.test(l)), p.lines.join("\n"));
    });

    it("keeps a type the newer read misses when the older read listed it", async () => {
      const outs = await recorded();
      // Two lagging reads, each missing another type: neither type was missed twice in a row.
      const first = nextListAnswers(listWith({ default: undefined }));
      const second = nextListAnswers(listWith({ audio: undefined }));
      const p = await face.provider(emulator, { clock: recordingClock() });
      const result = await p.read(`${account}/${video}`, outs);

      assert.deepEqual([first.applied, second.applied], [1, 1]);
      assert.equal(result.id, `${account}/${video}`);
      assert.equal(result.props?.default?.status, "ready");
      assert.equal(result.props?.audio?.status, "ready", "audio, listed by the older read, is kept");
      assert.deepEqual(result.inputs?.downloadTypes, ["default", "audio"]);
      assert.ok(!p.lines.some((l) => /is gone from Cloudflare/.test(l)), p.lines.join("\n"));
    });
  });
