/**
 * Which versions of Python's `pulumi` package (PyPI) run examples/python with the Python language host that
 * scripts/pulumi-cli.sh builds: for each version given, a fresh virtual environment with it and the SDK's wheel
 * (installed without its requirements, so that versions outside the SDK's range are tried too), then `pulumi up`
 * and `destroy` against the emulator, and one line: works, or the error that stopped it.
 *
 *   npx ts-node --transpile-only scripts/python-pulumi-versions.ts 3.272.0 3.231.0 3.230.0
 *
 * docs/supported-versions.md reports what it printed; examples/python/requirements.txt pins the newest
 * that works.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { CloudflareClient } from "../src/core/client";
import { startEmulator } from "../src/emulator/server";
import { engineEnv, ensurePulumiCli, REPO } from "./engine";
import { makeVenv, run, wheelhouse } from "./release/python";
import { buildSdkPackages } from "./release/sdks";

const TOKEN = "versions-token-0123456789";
const ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353";

/** The line of an engine error that says what failed: the last Python exception line, else the first error. */
function reason(error: unknown): string {
  const text = String((error as Error).message ?? error);
  const lines = text.split("\n").map((l) => l.trim());
  const exception = lines.filter((l) => /^[A-Z][A-Za-z]*(Error|Exception)\b.*:/.test(l)).pop();
  return (exception ?? lines.find((l) => /error/i.test(l)) ?? lines[0] ?? "").slice(0, 400);
}

async function main(): Promise<void> {
  const versions = process.argv.slice(2);
  if (versions.length === 0 || versions.some((v) => !/^\d+\.\d+\.\d+$/.test(v))) {
    throw new Error("give one or more versions of pulumi, such as 3.272.0 3.231.0");
  }
  ensurePulumiCli(["python"]);
  const work = mkdtempSync(path.join(tmpdir(), "sd-py-versions-"));
  // The plugin from this checkout, on PATH as the engine finds an installed one.
  const bin = path.join(work, "bin");
  mkdirSync(bin);
  const launcher = path.join(bin, "pulumi-resource-cloudflare-stream");
  writeFileSync(
    launcher,
    `#!/bin/sh\nexport TS_NODE_PROJECT='${path.join(REPO, "tsconfig.json")}'\n` +
      `exec node -r '${path.join(REPO, "node_modules", "ts-node", "register", "transpile-only")}' ` +
      `'${path.join(REPO, "src", "native", "main.ts")}' "$@"\n`,
  );
  chmodSync(launcher, 0o755);
  const emulator = await startEmulator({ token: TOKEN, generationMs: 500, rateLimit: false });
  const client = new CloudflareClient({ baseUrl: emulator.baseUrl, credentials: { kind: "token", token: TOKEN } });
  try {
    const { python } = await buildSdkPackages({
      outDir: path.join(work, "packages"),
      version: (JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }).version,
    });
    for (const version of versions) {
      const program = path.join(work, `program-${version}`);
      cpSync(path.join(REPO, "examples", "python"), program, { recursive: true });
      const pin = `pulumi==${version}`;
      // The SDK's other requirements (sdk/python/setup.py), which the wheel brings without --no-deps.
      const pins = [pin, "packaging>=24.0", "semver>=2.8.1"];
      let result: string;
      try {
        wheelhouse(pins);
        // pulumi first, then the wheel without its requirements: pip would refuse a pulumi outside the SDK's range,
        // and this is about what the SDK's code does with each version.
        const venv = makeVenv(path.join(program, "venv"), pins, [], pins);
        run(venv.python, ["-m", "pip", "install", "--quiet", "--no-index", "--no-deps", python.wheel]);
        const state = path.join(program, ".state");
        mkdirSync(state);
        const stack = await LocalWorkspace.createOrSelectStack(
          { stackName: "versions", workDir: program },
          {
            envVars: engineEnv({
              PULUMI_BACKEND_URL: `file://${state}`,
              VIRTUAL_ENV: venv.dir,
              PATH: [venv.bin, bin, process.env.PATH ?? ""].join(path.delimiter),
            }),
            pulumiHome: path.join(state, ".pulumi-home"),
          },
        );
        const video = await client.copyVideo(ACCOUNT, "https://example.com/talk.mp4", {});
        await stack.setAllConfig({
          apiToken: { value: TOKEN, secret: true },
          baseUrl: { value: emulator.baseUrl },
          accountId: { value: ACCOUNT },
          videoId: { value: video.uid },
        });
        try {
          const up = await stack.up();
          const status = `${String(up.outputs.mp4Status?.value)}/${String(up.outputs.m4aStatus?.value)}`;
          result = status === "ready/ready" ? "works: up created ready downloads" : `up ended with ${status}`;
        } finally {
          await stack.destroy().catch(() => undefined);
        }
      } catch (error) {
        result = `fails: ${reason(error)}`;
      }
      console.log(`pulumi ${version}: ${result}`);
    }
  } finally {
    await emulator.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(`python-pulumi-versions: ${error.message}`);
  process.exit(1);
});
