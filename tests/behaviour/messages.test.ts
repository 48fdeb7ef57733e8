/**
 * The messages a person meets, as each face gives them over real HTTP to the emulator: one short line per retry,
 * and the advice about rotated tokens only where it can apply (refresh, update, destroy; never a first create).
 */
import assert from "node:assert/strict";
import { type Emulator, startEmulator } from "../../src/emulator/server";
import { FACES } from "../helpers/faces";
import { cfId, inputsFor, TOKEN } from "../helpers/fixtures";

const ROTATED = /If you rotated it/;
const SOURCE = /The token comes from/;

for (const makeFace of FACES)
  describe(`messages: ${makeFace().name} face`, () => {
    let emulator: Emulator;
    const face = makeFace();
    const account = cfId();

    before(async () => {
      emulator = await startEmulator({ token: TOKEN, generationMs: 200, rateLimit: false });
    });
    after(async () => {
      await face.close();
      await emulator.close();
    });
    beforeEach(() => emulator.clearFaults());

    it("logs one short line for a retried request: the request once, why, and when the next attempt goes", async () => {
      const video = emulator.createVideo(account);
      const path = `/accounts/${account}/stream/${video}/downloads`;
      emulator.addFault({ method: "GET", path: `${video}/downloads`, fault: { kind: "status", status: 503 } });
      const provider = await face.provider(emulator);
      await provider.create(inputsFor(account, video));
      const retries = provider.lines.filter((line) => line.startsWith("cloudflare:"));
      assert.equal(retries.length, 1, provider.lines.join("\n"));
      const line = retries[0] ?? "";
      assert.match(
        line,
        new RegExp(`^cloudflare: GET ${path}: 503 Service Unavailable: .+; attempt 2 in \\d+\\.\\ds$`),
      );
      assert.equal(line.split(path).length - 1, 1, "the path once");
      assert.ok(!line.includes(emulator.baseUrl), "no URL");
    });

    it("says where the token comes from on a failed create, without advice about rotated tokens", async () => {
      const video = emulator.createVideo(account);
      const provider = await face.provider(emulator);
      emulator.addFault({ fault: { kind: "status", status: 401 }, times: Infinity });
      const error = await provider.create(inputsFor(account, video)).then(
        () => assert.fail("create succeeded with a refused token"),
        (e: Error) => e,
      );
      assert.match(error.message, /Cloudflare API 401 Unauthorized/);
      assert.match(error.message, SOURCE);
      assert.doesNotMatch(error.message, ROTATED);
    });

    it("adds the advice about rotated tokens to a failed refresh, update and destroy", async () => {
      const video = emulator.createVideo(account);
      const provider = await face.provider(emulator);
      const { id, outs } = await provider.create(inputsFor(account, video));
      emulator.addFault({ fault: { kind: "status", status: 403 }, times: Infinity });
      const failures = {
        refresh: () => provider.read(id, outs),
        update: () => provider.update(id, outs, inputsFor(account, video, { downloadTypes: ["default", "audio"] })),
        destroy: () => provider.delete(id, outs),
      };
      for (const [step, run] of Object.entries(failures)) {
        const error = await run().then(
          () => assert.fail(`${step} succeeded with a refused token`),
          (e: Error) => e,
        );
        assert.match(error.message, /Cloudflare API 403 Forbidden/, step);
        assert.match(error.message, SOURCE, step);
        assert.match(error.message, ROTATED, step);
      }
    });
  });
