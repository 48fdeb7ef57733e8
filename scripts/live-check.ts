/**
 * `npm run live-check -- --account <id> --video <uid>`: checks our reading of Cloudflare against Cloudflare.
 *
 * Makes the calls the provider makes on one real video (creating only the downloads it lacks, and deleting only
 * those), makes the same calls against the local emulator, and reports every difference in the answers' shape.
 * `--json <file>` writes a redacted transcript for a bug report; `--replay <file>` compares one again, with no
 * account. Exit status: 0 it ran (with or without differences), 1 the live API failed, 2 it could not start.
 * Never run in CI against Cloudflare: the tests run it against emulators.
 */
import type { Credentials } from "../src/core/client";
import { ConfigurationError } from "../src/core/errors";
import { ENV_VARS, resolveSettings } from "../src/core/settings";
import { DOWNLOAD_TYPES, type DownloadType } from "../src/core/wire";
import type { Clock } from "../src/core/clock";
import { type LiveCheckReport, type LiveSource, runLiveCheck } from "./live-check/check";
import { loadTranscript, TranscriptError } from "./live-check/transcript";

/** The usage text of `--help`. */
export const USAGE = `Usage: npm run live-check -- --account <id> --video <uid> [options]
       npm run live-check -- --replay <file>

Makes the calls the provider makes on one of your videos (creating the downloads it does not have, waiting
until they are ready, deleting only those), makes the same calls against the local emulator, and prints
every difference in the shape of Cloudflare's answers. Reads ${ENV_VARS.apiToken} (or ${ENV_VARS.apiKey} and
${ENV_VARS.email}), and ${ENV_VARS.baseUrl} when set.

Options:
  --account <id>      the account id, 32 hex characters (from the dashboard URL)
  --video <uid>       the video's uid, 32 hex characters; it must be ready to stream
  --types <list>      download types to check, comma-separated (default default,audio)
  --timeout <s>       how long to wait for the downloads to be ready, in seconds (default 600)
  --json <file>       also write a redacted transcript of the calls, to attach to a bug report
  --replay <file>     compare a transcript written by --json with the emulator (no account needed)
  --help              show this text
`;

/** A command line or environment the user got wrong; its message names the flag or variable, and the value. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** What the command line asks for. */
export type ParsedArgs =
  | { help: true }
  | { help: false; replay: string }
  | {
      help: false;
      replay?: undefined;
      accountId: string;
      videoId: string;
      types: DownloadType[];
      timeoutSeconds: number;
      json?: string;
    };

const HEX32 = /^[0-9a-f]{32}$/;

/** Parses `--flag value` and `--flag=value` arguments. @throws UsageError naming the flag and the value. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--help" || arg === "-h") return { help: true };
    const eq = arg.indexOf("=");
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!["--account", "--video", "--types", "--timeout", "--json", "--replay"].includes(flag)) {
      throw new UsageError(`unknown flag: ${arg} (see --help)`);
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new UsageError(`missing value for ${flag}`);
    // The values are not repeated: they may be an account id or a video uid, which the output never shows.
    if (given.has(flag)) throw new UsageError(`${flag} is given twice; give it once`);
    given.set(flag, value);
  }
  const replay = given.get("--replay");
  if (replay !== undefined) {
    const others = [...given.keys()].filter((f) => f !== "--replay");
    if (others.length > 0) {
      throw new UsageError(`--replay compares a transcript as it is; it takes no ${others.join(", ")}`);
    }
    return { help: false, replay };
  }
  const id = (flag: string, what: string): string => {
    const value = given.get(flag);
    if (value === undefined) throw new UsageError(`${flag} is required: the ${what} (see --help)`);
    if (!HEX32.test(value)) {
      throw new UsageError(`invalid value for ${flag}: "${value}" (expected the ${what}, 32 lowercase hex characters)`);
    }
    return value;
  };
  const accountId = id("--account", "account id");
  const videoId = id("--video", "video uid");
  const typesText = given.get("--types") ?? DOWNLOAD_TYPES.join(",");
  const types: DownloadType[] = [];
  for (const name of typesText.split(",").map((t) => t.trim())) {
    const type = DOWNLOAD_TYPES.find((t) => t === name);
    if (type === undefined || types.includes(type)) {
      throw new UsageError(
        `invalid value for --types: "${typesText}" (expected one or both of ${DOWNLOAD_TYPES.join(", ")}, comma-separated, each once)`,
      );
    }
    types.push(type);
  }
  const timeoutText = given.get("--timeout") ?? "600";
  const timeoutSeconds = /^\d+$/.test(timeoutText) ? Number(timeoutText) : NaN;
  if (!Number.isSafeInteger(timeoutSeconds) || timeoutSeconds < 1) {
    throw new UsageError(
      `invalid value for --timeout: "${timeoutText}" (expected a whole number of seconds, at least 1)`,
    );
  }
  const parsed: ParsedArgs = { help: false, accountId, videoId, types, timeoutSeconds };
  const json = given.get("--json");
  if (json !== undefined) parsed.json = json;
  return parsed;
}

/**
 * The credentials and base URL from the environment, resolved as the provider resolves them (src/core/settings.ts).
 * @throws UsageError naming the variables (never a value of a credential) when there is none, so no request is
 * sent.
 */
export function fromEnvironment(env: NodeJS.ProcessEnv): { credentials: Credentials; baseUrl: string } {
  try {
    const { credentials, baseUrl } = resolveSettings({}, null, env);
    return { credentials, baseUrl };
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    throw new UsageError(`${error.message} Nothing was sent.`);
  }
}

/** Runs the command; returns the exit status. */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: { out: (line: string) => void; err: (line: string) => void },
  signal?: AbortSignal,
  clock?: Clock,
): Promise<number> {
  let source: LiveSource;
  try {
    const args = parseArgs(argv);
    if (args.help) {
      io.out(USAGE.trimEnd());
      return 0;
    }
    if (args.replay !== undefined) {
      source = { kind: "replay", file: args.replay, transcript: loadTranscript(args.replay) };
    } else {
      const { credentials, baseUrl } = fromEnvironment(env);
      source = {
        kind: "api",
        baseUrl,
        credentials,
        accountId: args.accountId,
        videoId: args.videoId,
        types: args.types,
        timeoutMs: args.timeoutSeconds * 1000,
        ...(args.json !== undefined ? { json: args.json } : {}),
      };
    }
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof TranscriptError)) throw error;
    io.err(`live-check: ${error.message}`);
    return 2;
  }
  const report: LiveCheckReport = await runLiveCheck({
    live: source,
    print: io.out,
    ...(signal ? { signal } : {}),
    ...(clock ? { clock } : {}),
  });
  return report.exitCode;
}

if (require.main === module) {
  const interrupt = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("live-check: stopping; deleting what it created (Ctrl-C again to quit at once)\n");
    interrupt.abort();
    process.once("SIGINT", () => process.exit(130));
  });
  const io = {
    out: (text: string) => process.stdout.write(`${text}\n`),
    err: (text: string) => process.stderr.write(`${text}\n`),
  };
  main(process.argv.slice(2), process.env, io, interrupt.signal).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // A bug, not an API failure (those are reported above); its message carries no credential.
      process.stderr.write(`live-check: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
