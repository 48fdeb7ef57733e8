/**
 * The SDK packages as users install them (scripts/release/sdks.ts), built once per test process, and the
 * commands the SDK tests run, printed as they run them.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { run } from "../../scripts/release/python";
import { buildSdkPackages, type SdkPackages } from "../../scripts/release/sdks";
import { REPO, tempDir } from "./pack";

export { REPO, tempDir };

/** The version in package.json, which the SDKs in sdk/ carry. */
export const VERSION = (JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string })
  .version;

let built: Promise<SdkPackages> | undefined;

/** The Python wheel and sdist and the Node.js tarball of sdk/, built into a temp dir once per process. */
export function sdkPackages(): Promise<SdkPackages> {
  built ??= buildSdkPackages({ outDir: tempDir("sd-sdk-packages-"), version: VERSION });
  return built;
}

/**
 * Runs a command as a test step: prints its command line (the pytest and `go test` lines CI logs show), and on
 * failure throws with its whole output.
 */
export function runPrinted(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; show?: string },
): string {
  const where = path.relative(REPO, opts.cwd);
  console.log(
    `      $ ${opts.show ?? [cmd, ...args].join(" ")}   (in ${where.startsWith("..") ? opts.cwd : where || "."})`,
  );
  return run(cmd, args, opts);
}
