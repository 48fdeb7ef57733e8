/**
 * Runs the real Pulumi engine (CLI + Node.js language host + dynamic-provider process) through the
 * Automation API, with a file backend in a temp dir, against a test program.
 */
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { engineEnv, REPO } from "../../scripts/engine";
import { repoVersionOf } from "./pack";

export { ensurePulumiCli, REPO } from "../../scripts/engine";

/** A copy of a program in a temp dir, its stack state in another. Call `dispose` when done. */
export interface ProgramDir {
  dir: string;
  backend: string;
  dispose(): void;
}

/**
 * The `@pulumi/pulumi` version that programs get next to the tarball: STREAM_DOWNLOAD_PULUMI_VERSION when set
 * (CI sets the oldest version our peer range allows and the newest the registry serves), else the repo's own.
 */
export function programPulumiVersion(): string {
  const chosen = process.env.STREAM_DOWNLOAD_PULUMI_VERSION?.trim();
  if (!chosen) return repoVersionOf("@pulumi/pulumi");
  if (!/^\d+\.\d+\.\d+$/.test(chosen)) {
    throw new Error(
      `STREAM_DOWNLOAD_PULUMI_VERSION must be an exact version of @pulumi/pulumi such as 3.142.0, got "${chosen}"; ` +
        `unset it to test with the repo's ${repoVersionOf("@pulumi/pulumi")}`,
    );
  }
  return chosen;
}

/**
 * Copies a program (a folder under tests/programs, or a path such as examples/basic) into a temp dir. Without
 * `tarball`, the program shares the repo's node_modules (and loads the repo's sources); with it, the program
 * gets the tarball installed into its own node_modules, as users get the package, with `@pulumi/pulumi` at
 * `programPulumiVersion()`.
 */
export function programDir(name: string, opts: { tarball?: string } = {}): ProgramDir {
  const source = name.includes("/") ? path.join(REPO, name) : path.join(REPO, "tests", "programs", name);
  const root = mkdtempSync(path.join(tmpdir(), `sd-${path.basename(name)}-`));
  const dir = path.join(root, "program");
  const backend = path.join(root, "state");
  cpSync(source, dir, { recursive: true, filter: (f) => !f.includes("node_modules") });
  mkdirSync(backend);
  if (opts.tarball) {
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `sd-${path.basename(name)}`, private: true }));
    execFileSync(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        opts.tarball,
        `@pulumi/pulumi@${programPulumiVersion()}`,
        `typescript@${repoVersionOf("typescript")}`,
        `@types/node@${repoVersionOf("@types/node")}`,
      ],
      { cwd: dir, stdio: ["ignore", "ignore", "inherit"], timeout: 10 * 60 * 1000 },
    );
  } else {
    symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "dir");
  }
  return { dir, backend, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Makes tests/programs/node-probe/main.ts the program's entry: it runs the program's index.ts unchanged and
 * adds the outputs `programNodeVersion` and `providerNodeVersion`, the `process.version` of the program and of
 * the dynamic provider process.
 */
export function addNodeProbe(program: ProgramDir): void {
  copyFileSync(path.join(REPO, "tests", "programs", "node-probe", "main.ts"), path.join(program.dir, "node-probe.ts"));
  const pkgFile = path.join(program.dir, "package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as Record<string, unknown>;
  writeFileSync(pkgFile, JSON.stringify({ ...pkg, main: "node-probe.ts" }, null, 2));
}

/** The environment of a `pulumi` run against the program's stacks: its file backend and its own PULUMI_HOME. */
export function programEnv(program: ProgramDir, extra: Record<string, string> = {}): Record<string, string> {
  return engineEnv({
    PULUMI_BACKEND_URL: `file://${program.backend}`,
    PULUMI_HOME: path.join(program.backend, ".pulumi-home"),
    ...extra,
  });
}

/**
 * `pulumi stack export` as a user runs it, so secrets stay encrypted (the Automation API's exportStack adds
 * --show-secrets).
 */
export function exportStackText(program: ProgramDir, stackName: string): string {
  return execFileSync("pulumi", ["stack", "export", "--stack", stackName], {
    cwd: program.dir,
    env: { ...process.env, ...programEnv(program) },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Creates (or selects) a stack of the program with a file backend. */
export async function stackFor(
  program: ProgramDir,
  stackName: string,
  env: Record<string, string> = {},
): Promise<Stack> {
  return LocalWorkspace.createOrSelectStack(
    { stackName, workDir: program.dir },
    {
      envVars: programEnv(program, env),
      pulumiHome: path.join(program.backend, ".pulumi-home"),
    },
  );
}

/** Runs an engine step, printing how long it took (for the log: no test asserts a duration). */
export function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const start = Date.now();
  return fn().finally(() => console.log(`      ${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`));
}

/**
 * tests/programs/go-sdk in a temp folder, using the Go SDK of this checkout: its import names sdk/go's module
 * (as sdk/go/go.mod says it), and a go.mod that requires that module and replaces it with the checkout's sdk/go.
 */
export function goSdkProgram(): ProgramDir {
  const program = programDir("go-sdk");
  const sdkModule = /^module (\S+)/m.exec(readFileSync(path.join(REPO, "sdk", "go", "go.mod"), "utf8"))?.[1];
  if (!sdkModule) throw new Error("sdk/go/go.mod names no module: run npm run gen-sdk");
  const main = path.join(program.dir, "main.go");
  writeFileSync(
    main,
    readFileSync(main, "utf8").replace(/"[^"\n]*\/sdk\/go\/cloudflarestream"/, `"${sdkModule}/cloudflarestream"`),
  );
  writeFileSync(
    path.join(program.dir, "go.mod"),
    [
      "module stream-downloads-go",
      "",
      "go 1.24",
      "",
      "require (",
      "\tgithub.com/pulumi/pulumi/sdk/v3 v3.276.0",
      `\t${sdkModule} v0.0.0`,
      ")",
      "",
      `replace ${sdkModule} => ${path.join(REPO, "sdk", "go")}`,
      "",
    ].join("\n"),
  );
  return program;
}
