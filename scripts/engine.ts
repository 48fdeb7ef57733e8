/**
 * What the demo, the engine tests and the benchmark share to run the real Pulumi engine here.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";

/** The repository root. */
export const REPO = path.resolve(__dirname, "..");

/** A language host that scripts/pulumi-cli.sh builds on request, besides Node.js's (always there). */
export type LanguageHost = "yaml" | "go" | "python";

let cliDir: string | undefined;
const hostsReady = new Set<LanguageHost>();

/**
 * Puts the Pulumi CLI on this process's PATH and returns its folder: the installed one, or one built once
 * from Go modules by scripts/pulumi-cli.sh, with the Node.js language host and the `hosts` asked for (a program
 * in YAML, Go or Python needs its host; nothing else does). Throws, saying how to install the CLI, when
 * neither works.
 */
export function ensurePulumiCli(hosts: readonly LanguageHost[] = []): string {
  const missing = hosts.filter((host) => !hostsReady.has(host));
  if (cliDir && missing.length === 0) return cliDir;
  const out = execFileSync("bash", [path.join(REPO, "scripts", "pulumi-cli.sh"), ...missing], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 60 * 60 * 1000,
  });
  const dir = out.trim().split("\n").pop() ?? "";
  if (dir !== cliDir) process.env.PATH = `${dir}${path.delimiter}${process.env.PATH ?? ""}`;
  for (const host of missing) hostsReady.add(host);
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
