/**
 * Property-based tests of the reader: generated answers (tests/helpers/answers.ts), fed to the parser and the
 * envelope's reader directly, must keep the invariants in tests/helpers/answer-properties.ts. (Whole operations
 * over HTTP are tested the same way in tests/behaviour/answers.test.ts.) A fixed seed keeps `npm test`
 * repeatable; `npm run fuzz` tries many more with a random or given seed. A failure prints the seed and the
 * command to replay it.
 */
import { DEFAULT_RUNS, READER_PROPERTIES, runProperty } from "../helpers/answer-properties";

/** The seed of `npm test`. */
const SEED = 20261201;

describe(`generated Cloudflare answers to the reader (${DEFAULT_RUNS.answers}, seed ${SEED})`, function () {
  this.timeout(5 * 60 * 1000);
  for (const p of READER_PROPERTIES) {
    it(`${p.name}: ${p.runs} ${p.unit} keep every invariant`, () =>
      runProperty(p, {}, { seed: SEED, numRuns: p.runs }));
  }
});
