/**
 * What the demo, the engine tests and the benchmark share to run the real Pulumi engine here.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";

/** The repository root. */
export const REPO = path.resolve(__dirname, "..");

let cliDir: string | undefined;

/**
 * Puts the Pulumi CLI on this process's PATH and returns its folder: the installed one, or one built once
 * from Go modules by scripts/pulumi-cli.sh. Throws, saying how to install the CLI, when neither works.
 */
export function ensurePulumiCli(): string {
  if (cliDir) return cliDir;
  const out = execFileSync("bash", [path.join(REPO, "scripts", "pulumi-cli.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 60 * 60 * 1000,
  });
  const dir = out.trim().split("\n").pop() ?? "";
  process.env.PATH = `${dir}${path.delimiter}${process.env.PATH ?? ""}`;
  cliDir = dir;
  return dir;
}

/** Environment for an engine run: local secrets passphrase, no update checks or plugin downloads, fast TS. */
export function engineEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PULUMI_CONFIG_PASSPHRASE: "local-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    PATH: process.env.PATH ?? "",
    ...extra,
  };
}
