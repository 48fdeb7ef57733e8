/**
 * Builds the package and packs it as `npm publish` would, once per test process, so that tests can look at
 * and install exactly what users get.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { REPO } from "../../scripts/engine";

export { REPO };

/** Versions of the repo's own dev dependencies, to install next to the tarball. */
export function repoVersionOf(pkg: "@pulumi/pulumi" | "typescript" | "@types/node"): string {
  return (require(path.join(REPO, "node_modules", pkg, "package.json")) as { version: string }).version;
}

let built = false;
let tarball: string | undefined;
const tempDirs: string[] = [];
process.once("exit", () => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A temp dir removed when the process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function npm(args: string[], cwd: string): void {
  execFileSync("npm", args, { cwd, stdio: ["ignore", "ignore", "pipe"], timeout: 5 * 60 * 1000 });
}

/**
 * Compiles src/ into dist/ with `npm run build`, once per process. dist/ is emptied first, so that output of
 * a source file deleted since the last build cannot end up in the package.
 */
export function buildDist(): void {
  if (built) return;
  rmSync(path.join(REPO, "dist"), { recursive: true, force: true });
  npm(["run", "build"], REPO);
  built = true;
}

/**
 * Packs the package with `npm pack` (whose `prepack` script builds dist/) into a temp dir, once per process.
 * @returns the absolute path of the tarball
 */
export function packTarball(): string {
  if (tarball) return tarball;
  rmSync(path.join(REPO, "dist"), { recursive: true, force: true });
  const dir = tempDir("sd-pack-");
  npm(["pack", "--pack-destination", dir], REPO);
  built = true;
  const [file, ...more] = readdirSync(dir).filter((f) => f.endsWith(".tgz"));
  if (file === undefined || more.length > 0) {
    throw new Error(`npm pack should write one .tgz into ${dir}; found ${readdirSync(dir).join(", ") || "nothing"}`);
  }
  tarball = path.join(dir, file);
  return tarball;
}
