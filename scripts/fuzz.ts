/**
 * `npm run fuzz`: the property-based tests of tests/unit/answers.test.ts and tests/behaviour/answers.test.ts, with many more generated answers and a
 * random seed (or the one given), to look for answers nobody thought of. A failure prints the seed, fast-check's
 * path and the command that replays it; fix the bug, then add the answer to a unit test.
 *
 *   npm run fuzz                                  # every property, 10 times the cases of npm test
 *   npm run fuzz -- --scale 50 --seed 42          # 50 times, seed 42
 *   npm run fuzz -- --only "the video" --seed 42 --path "38:0:1"   # replay one failure
 */
import { randomInt } from "node:crypto";
import { ANSWER_PROPERTIES, runProperty, startPropertyEmulator } from "../tests/helpers/answer-properties";

/** What the command line asks for. */
export interface FuzzArgs {
  seed: number;
  scale: number;
  only?: string;
  path?: string;
}

const USAGE = `Usage: npm run fuzz -- [--seed <n>] [--scale <k>] [--only <property>] [--path <p>]
  --seed <n>     the seed (default: random, printed)
  --scale <k>    k times the cases npm test tries per property (default 10)
  --only <name>  one property: ${ANSWER_PROPERTIES.map((p) => `"${p.name}"`).join(", ")}
  --path <p>     fast-check's path of a failure, to replay only it (with --only and --seed)`;

/** Parses the command line. @throws Error naming the flag and value that are wrong */
export function parseFuzzArgs(argv: readonly string[]): FuzzArgs {
  const args: FuzzArgs = { seed: randomInt(2 ** 31), scale: 10 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`missing value for ${flag}\n${USAGE}`);
    const whole = (min: number): number => {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < min)
        throw new Error(`${flag} must be a whole number >= ${min}, got "${value}"`);
      return n;
    };
    if (flag === "--seed") args.seed = whole(-(2 ** 31));
    else if (flag === "--scale") args.scale = whole(1);
    else if (flag === "--path") args.path = value;
    else if (flag === "--only") {
      if (!ANSWER_PROPERTIES.some((p) => p.name === value)) throw new Error(`no property "${value}"\n${USAGE}`);
      args.only = value;
    } else throw new Error(`unknown flag ${flag}\n${USAGE}`);
  }
  return args;
}

async function main(): Promise<number> {
  let args: FuzzArgs;
  try {
    args = parseFuzzArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`fuzz: ${(error as Error).message}\n`);
    return 2;
  }
  const chosen = ANSWER_PROPERTIES.filter((p) => args.only === undefined || p.name === args.only);
  process.stdout.write(`fuzz: seed ${args.seed}, ${args.scale} times the cases of npm test\n`);
  const emulator = await startPropertyEmulator();
  const total = { answers: 0, operations: 0 };
  const started = Date.now();
  try {
    for (const p of chosen) {
      const numRuns = p.runs * args.scale;
      const t = Date.now();
      try {
        await runProperty(p, { emulator }, { seed: args.seed, numRuns, ...(args.path ? { path: args.path } : {}) });
      } catch (error) {
        process.stdout.write(`fuzz: ${(error as Error).message}\n`);
        return 1;
      }
      total[p.unit] += numRuns;
      process.stdout.write(`fuzz: ${p.name}: ${numRuns} ${p.unit}, every invariant kept (${Date.now() - t} ms)\n`);
    }
  } finally {
    await emulator.close();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `fuzz: ${total.answers} answers read and ${total.operations} operations over HTTP in ${seconds} s, seed ${args.seed}\n`,
  );
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`fuzz: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
