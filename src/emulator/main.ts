#!/usr/bin/env node
/**
 * Command line entry of the emulator: the package's `cloudflare-stream-emulator` bin, and `npm run emulator`
 * in a checkout. Prints one line once listening (the API's base URL), then on stderr the delivery server's
 * origin and one line per request; stops on SIGINT/SIGTERM.
 */
import type { EmptyListForm, PostShape, ProgressDialect, VideoListForm } from "./dialect";
import { EMPTY_LIST_FORMS, POST_SHAPES, PROGRESS_DIALECTS, VIDEO_LIST_FORMS } from "./dialect";
import type { RateLimitConfig } from "./ratelimit";
import type { Emulator, EmulatorOptions } from "./server";
import { startEmulator } from "./server";
import { DOWNLOAD_URL_HOSTS, type DownloadUrlHost } from "./store";

/** The usage text of `--help`. */
export const USAGE = `Usage: cloudflare-stream-emulator [options]   (in a checkout: npm run emulator -- [options])

Serves the Cloudflare v4 Stream API (videos and downloads) on 127.0.0.1.

Options:
  --port <n>             TCP port, 0 for a free one (default 0)
  --token <t>            accepted API token (default "test-token")
  --api-key <k>          accepted legacy API key (default "test-key")
  --email <e>            accepted legacy email (default "test@example.com")
  --generation-ms <ms>   time for a download to become ready (default 2000)
  --generation-ms-per-video-second <ms>
                         added to that for each second of the video's duration (default 0)
  --video-ready-ms <ms>  time for a copied video to become ready to stream (default 0)
  --video-duration <s>   duration of each video, in seconds (default 12.5)
  --customer-code <c>    16 characters [a-z0-9] used in download URLs (default random)
  --download-urls <h>    emulator (the delivery server below, which serves the files) or cloudflare
                         (https://customer-<code>.cloudflarestream.com/..., not served) (default emulator)
  --delivery-port <n>    TCP port of the delivery server, 0 for a free one (default 0)
  --rate-limit <n>|off   requests per window per credential (default 1200)
  --rate-limit-window <s>  the window, in seconds (default 300)
  --rate-limit-block <s>   how long a credential is refused once past the limit (default 300)
  --rate-limit-retry-after on|off
                         whether a 429 says when the block ends (default on)
  --post-shape <s>       result of the create POSTs: single (the one download), keyed (all
                         downloads by type) or empty ({}) (default single)
  --progress <p>         smooth (percentComplete rises) or coarse (0 until ready) (default smooth)
  --empty-list <f>       how the downloads list says "none": object ({}), null, absent (no
                         result) or array ([]) (default object)
  --video-list <f>       how the video list answers: array (documented), object (keyed by uid)
                         or forbidden (403, a token without list rights) (default array)
  --help                 show this text
`;

/** A command line the user got wrong; its message names the flag and value. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The result of parsing the command line: options to start with, or a request for help. */
export type ParsedArgs = { help: true } | { help: false; options: EmulatorOptions };

/** A number of seconds > 0, decimals allowed. @throws UsageError naming the flag and the value. */
function positiveSeconds(flag: string, value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!(Number.isFinite(n) && n > 0)) {
    throw new UsageError(`invalid value for ${flag}: "${value}" (expected a number of seconds > 0)`);
  }
  return n;
}

function integer(flag: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? "a whole number" : `an integer from 0 to ${max}`;
    throw new UsageError(`invalid value for ${flag}: "${value}" (expected ${range})`);
  }
  return n;
}

/** The value if it is one of `allowed`. @throws UsageError naming the flag, the value and the choices. */
function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((choice) => choice === value);
  if (found === undefined) {
    throw new UsageError(`invalid value for ${flag}: "${value}" (expected one of ${allowed.join(", ")})`);
  }
  return found;
}

/** Parses `--flag value` and `--flag=value` arguments. @throws UsageError on an unknown flag or a bad value. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const options: EmulatorOptions = {};
  // Cloudflare's numbers unless a --rate-limit* flag says otherwise.
  const rateLimit: RateLimitConfig = { limit: 1200, windowMs: 300_000, blockMs: 300_000, retryAfter: true };
  let rateLimitOff = false;
  let rateLimitGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--help" || arg === "-h") return { help: true };
    const eq = arg.indexOf("=");
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const next = (): string => {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new UsageError(`missing value for ${flag}`);
      return value;
    };
    if (flag.startsWith("--rate-limit")) rateLimitGiven = true;
    switch (flag) {
      case "--port":
        options.port = integer(flag, next(), 65535);
        break;
      case "--token":
        options.token = next();
        break;
      case "--api-key":
        options.apiKey = next();
        break;
      case "--email":
        options.email = next();
        break;
      case "--generation-ms":
        options.generationMs = integer(flag, next());
        break;
      case "--generation-ms-per-video-second":
        options.generationMsPerVideoSecond = integer(flag, next());
        break;
      case "--video-ready-ms":
        options.videoReadyMs = integer(flag, next());
        break;
      case "--video-duration":
        options.videoDurationSeconds = positiveSeconds(flag, next());
        break;
      case "--download-urls":
        options.downloadUrls = oneOf<DownloadUrlHost>(flag, next(), DOWNLOAD_URL_HOSTS);
        break;
      case "--delivery-port":
        options.deliveryPort = integer(flag, next(), 65535);
        break;
      case "--video-list":
        options.videoList = oneOf<VideoListForm>(flag, next(), VIDEO_LIST_FORMS);
        break;
      case "--customer-code": {
        const code = next();
        if (!/^[a-z0-9]{16}$/.test(code)) {
          throw new UsageError(`invalid value for ${flag}: "${code}" (expected 16 characters [a-z0-9])`);
        }
        options.customerCode = code;
        break;
      }
      case "--rate-limit": {
        const value = next();
        if (value === "off") rateLimitOff = true;
        else {
          const limit = integer(flag, value);
          if (limit === 0)
            throw new UsageError(`invalid value for ${flag}: "${value}" (expected an integer > 0 or "off")`);
          rateLimit.limit = limit;
        }
        break;
      }
      case "--rate-limit-window":
      case "--rate-limit-block": {
        const value = next();
        const seconds = integer(flag, value);
        if (flag === "--rate-limit-window" && seconds === 0)
          throw new UsageError(`invalid value for ${flag}: "${value}" (expected a number of seconds > 0)`);
        rateLimit[flag === "--rate-limit-window" ? "windowMs" : "blockMs"] = seconds * 1000;
        break;
      }
      case "--rate-limit-retry-after":
        rateLimit.retryAfter = oneOf(flag, next(), ["on", "off"] as const) === "on";
        break;
      case "--post-shape":
        options.postShape = oneOf<PostShape>(flag, next(), POST_SHAPES);
        break;
      case "--progress":
        options.progress = oneOf<ProgressDialect>(flag, next(), PROGRESS_DIALECTS);
        break;
      case "--empty-list":
        options.emptyList = oneOf<EmptyListForm>(flag, next(), EMPTY_LIST_FORMS);
        break;
      default:
        throw new UsageError(`unknown flag: ${arg} (see --help)`);
    }
  }
  if (rateLimitGiven) options.rateLimit = rateLimitOff ? false : rateLimit;
  return { help: false, options };
}

async function main(): Promise<void> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`emulator: ${error.message}\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  let emulator: Emulator;
  try {
    emulator = await startEmulator(parsed.options);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error; // an option the emulator refused, e.g. an empty --token
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  emulator.onResponse((request, durationMs) => {
    const status = request.status === 0 ? "-" : String(request.status);
    const fault = request.fault ? ` fault=${request.fault}` : "";
    const host = request.host === "delivery" ? " (delivery)" : "";
    process.stderr.write(`${request.method} ${request.path} ${status} ${Math.round(durationMs)}ms${fault}${host}\n`);
    // The log is for tests; a long-running CLI only needs the line above, so keep memory bounded.
    if (emulator.requests.length + emulator.deliveryRequests.length > 10_000) emulator.resetRequests();
  });
  process.stdout.write(`Cloudflare Stream emulator listening on ${emulator.baseUrl}\n`);
  // stdout keeps its one line for scripts that read the base URL; the delivery server is said on stderr.
  process.stderr.write(`download files are served on ${emulator.deliveryOrigin}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(0); // a second signal: do not wait
    stopping = true;
    void emulator.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`emulator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
