/**
 * Property-based tests of reading Cloudflare: generated answers (tests/helpers/answers.ts) fed to the reader
 * directly, and through the emulator's `rewriteResult` fault to whole creates, reads and deletes, must keep the
 * invariants in tests/helpers/answer-properties.ts. A fixed seed keeps `npm test` repeatable; `npm run fuzz`
 * tries many more answers with a random or given seed. A failure prints the seed and the command to replay it.
 */
import type { Emulator } from "../../src/emulator/server";
import { ANSWER_PROPERTIES, DEFAULT_RUNS, runProperty, startPropertyEmulator } from "../helpers/answer-properties";

/** The seed of `npm test`. */
const SEED = 20261201;

const { answers, operations } = DEFAULT_RUNS;

describe(`generated Cloudflare answers (${answers} read, ${operations} operations over HTTP, seed ${SEED})`, function () {
  this.timeout(5 * 60 * 1000);
  let emulator: Emulator;
  before(async () => (emulator = await startPropertyEmulator()));
  after(() => emulator.close());

  for (const p of ANSWER_PROPERTIES) {
    it(`${p.name}: ${p.runs} ${p.unit} keep every invariant`, () =>
      runProperty(p, { emulator }, { seed: SEED, numRuns: p.runs }));
  }
});
