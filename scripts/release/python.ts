/**
 * Python as users get it, for the release and the tests: packages from PyPI at pinned versions, downloaded once
 * into a cached folder of wheels (a "wheelhouse"), then installed with pip into fresh virtual environments
 * without going back to the network.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..", "..");

/**
 * The `pulumi` version from PyPI that Python programs and the SDK's tests use: the newest that runs a program
 * with the Python language host built by scripts/pulumi-cli.sh (docs/supported-versions.md). Pinned in
 * examples/python/requirements.txt, which users install from.
 */
export function pythonPulumiVersion(): string {
  const text = readFileSync(path.join(REPO, "examples", "python", "requirements.txt"), "utf8");
  const pin = /^pulumi==(\d+\.\d+\.\d+)\s*$/m.exec(text)?.[1];
  if (!pin) throw new Error("examples/python/requirements.txt must pin pulumi as pulumi==<x.y.z>");
  return pin;
}

/** The tools the release and the tests install next to `pulumi`, pinned. */
export const PYTHON_TOOLS = {
  build: ["build==1.6.1", "setuptools==84.2.1", "wheel==0.48.0"],
  pytest: ["pytest==9.2.0"],
};

/** Every PyPI pin of the release and the tests: one wheelhouse holds them all. */
export function pythonPins(): string[] {
  return [`pulumi==${pythonPulumiVersion()}`, ...PYTHON_TOOLS.build, ...PYTHON_TOOLS.pytest];
}

/** The Python interpreter: STREAM_DOWNLOAD_PYTHON, else `python3` on PATH. */
export function python(): string {
  return process.env.STREAM_DOWNLOAD_PYTHON?.trim() || "python3";
}

/** Runs a command, returning its stdout; on failure throws with the command line and its output. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 15 * 60 * 1000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(" ")} failed${opts.cwd ? ` in ${opts.cwd}` : ""}:\n${e.stdout ?? ""}${e.stderr ?? e.message}`,
    );
  }
}

/** "3.11" for the interpreter in use. */
export function pythonVersion(): string {
  let out: string;
  try {
    out = run(python(), ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]);
  } catch (error) {
    throw new Error(
      `Python 3.9 or newer with pip and venv is needed (${python()} does not run; set STREAM_DOWNLOAD_PYTHON to ` +
        `another interpreter): ${(error as Error).message}`,
    );
  }
  return out.trim();
}

/**
 * A folder of wheels holding `requirements` and everything they depend on, for this Python version: downloaded
 * with `pip download` once into ${XDG_CACHE_HOME:-~/.cache}/stream-download-python/, then reused (a new set of
 * pins gets a new folder). Concurrent callers each download into a temp folder; the first rename wins.
 */
export function wheelhouse(requirements: string[]): string {
  const version = pythonVersion();
  const key = createHash("sha256")
    .update([version, ...[...requirements].sort()].join("\n"))
    .digest("hex")
    .slice(0, 16);
  const root = path.join(
    process.env.STREAM_DOWNLOAD_PYTHON_CACHE?.trim() ||
      path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "stream-download-python"),
  );
  const dir = path.join(root, `wheels-py${version}-${key}`);
  if (existsSync(path.join(dir, ".complete"))) return dir;
  mkdirSync(root, { recursive: true });
  const tmp = mkdtempSync(path.join(root, ".download-"));
  try {
    run(python(), ["-m", "pip", "download", "--quiet", "--dest", tmp, ...requirements]);
    writeFileSync(path.join(tmp, ".complete"), `${requirements.join("\n")}\n`);
    try {
      renameSync(tmp, dir);
    } catch (error) {
      if (!existsSync(path.join(dir, ".complete"))) throw error;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** A virtual environment made with `python -m venv`. */
export interface Venv {
  dir: string;
  /** Its python executable. */
  python: string;
  bin: string;
}

/**
 * Makes a fresh virtual environment in `dir` and installs into it, with pip, `fromIndex` (some of
 * `pins`, by default `pythonPins()`) and `wheels` (paths), offline from the wheelhouse of `pins`: as
 * `pip install` does for users, without downloading again.
 */
export function makeVenv(dir: string, fromIndex: string[], wheels: string[] = [], pins = pythonPins()): Venv {
  const unpinned = fromIndex.filter((r) => !pins.includes(r));
  if (unpinned.length > 0) throw new Error(`${unpinned.join(", ")}: not among the pins ${pins.join(", ")}`);
  const houses = wheelhouse(pins);
  run(python(), ["-m", "venv", dir]);
  const bin = path.join(dir, "bin");
  const venvPython = path.join(bin, "python");
  run(venvPython, ["-m", "pip", "install", "--quiet", "--no-index", "--find-links", houses, ...fromIndex, ...wheels]);
  return { dir, python: venvPython, bin };
}
