/**
 * Property-based tests of whole operations: generated answers (tests/helpers/answers.ts) put in place of
 * Cloudflare's by the emulator's `rewriteResult` fault, through whole creates, reads and deletes over HTTP, must
 * keep the invariants in tests/helpers/answer-properties.ts. (The reader alone is tested the same way in
 * tests/unit/answers.test.ts.) A fixed seed keeps `npm test` repeatable; `npm run fuzz` tries many more with a
 * random or given seed. A failure prints the seed and the command to replay it.
 */
import type { Emulator } from "../../src/emulator/server";
import { DEFAULT_RUNS, OPERATION_PROPERTIES, runProperty, startPropertyEmulator } from "../helpers/answer-properties";

/** The seed of `npm test`. */
const SEED = 20261201;

describe(`generated Cloudflare answers in whole operations (${DEFAULT_RUNS.operations} over HTTP, seed ${SEED})`, function () {
  this.timeout(5 * 60 * 1000);
  let emulator: Emulator;
  before(async () => (emulator = await startPropertyEmulator()));
  after(() => emulator.close());

  for (const p of OPERATION_PROPERTIES) {
    it(`${p.name}: ${p.runs} ${p.unit} keep every invariant`, () =>
      runProperty(p, { emulator }, { seed: SEED, numRuns: p.runs }));
  }
});
