/**
 * `npm run release`: every file a user installs, in release/ (ignored by git), as a GitHub release of the
 * repository holds them:
 * - the provider plugin's archives, one per OS and architecture (scripts/release/plugin.ts);
 * - the SDK packages: the Python wheel and sdist and the Node.js SDK's npm tarball (scripts/release/sdks.ts);
 * - with --sbom, the npm package's SBOM (CycloneDX, scripts/release/sbom.ts), which the release workflow publishes;
 * - SHA256SUMS, in the format of `sha256sum` (`sha256sum -c SHA256SUMS` checks them).
 *
 * The same commit gives byte-identical files, whichever Node.js and npm run the build: every archive entry has
 * the commit's time as its mtime (SOURCE_DATE_EPOCH overrides it), and every .tar.gz and .tgz is written and
 * compressed by scripts/release/tar.ts. Downloaded Node.js packages are cached (scripts/release/node-dist.ts).
 *
 *   npm run release                   # everything into release/
 *   npm run release -- --out <dir>    # elsewhere
 *   npm run release -- --archives-only  # the plugin archives only (no SDK packages)
 *   npm run release -- --target linux-amd64 [--target ...] [--sdks]  # some archives [and the SDK packages]
 *   npm run release -- --sbom         # and the SBOM
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { REPO } from "./engine";
import { projectNames } from "./release/names";
import { buildPluginArchives, type Target, TARGETS } from "./release/plugin";
import { packageSbom } from "./release/sbom";
import { buildSdkPackages } from "./release/sdks";

/** What a release build writes, and where. */
export interface ReleaseOptions {
  out?: string;
  /** Only these plugin platforms, and no SDK packages unless `sdks` says so (everything when unset). */
  targets?: readonly Target[];
  /** Whether to build the SDK packages (default: when `targets` is unset). */
  sdks?: boolean;
  /** Also the npm package's SBOM, `<package>-<version>.cdx.json` (default: no). */
  sbom?: boolean;
  log?: (line: string) => void;
}

/** The mtime of every archive entry: SOURCE_DATE_EPOCH, else the time of the commit checked out. */
export function sourceDateEpoch(repo: string): number {
  const fromEnv = process.env.SOURCE_DATE_EPOCH?.trim();
  if (fromEnv) {
    if (!/^\d+$/.test(fromEnv)) throw new Error(`SOURCE_DATE_EPOCH must be whole seconds, got "${fromEnv}"`);
    return Number(fromEnv);
  }
  try {
    return Number(execFileSync("git", ["log", "-1", "--format=%ct"], { cwd: repo, encoding: "utf8" }).trim());
  } catch (error) {
    throw new Error("not a git checkout: set SOURCE_DATE_EPOCH to the time the archives should carry", {
      cause: error,
    });
  }
}

/** `<sha256>  <name>` for each file, sorted by name: what `sha256sum *` prints. */
export function sha256sums(dir: string, names: string[]): string {
  return [...names]
    .sort()
    .map(
      (name) =>
        `${createHash("sha256")
          .update(readFileSync(path.join(dir, name)))
          .digest("hex")}  ${name}\n`,
    )
    .join("");
}

/** Builds the release into `out` (emptied first) and returns the names of the files written. */
export async function release(options: ReleaseOptions = {}): Promise<string[]> {
  const out = options.out ?? path.join(REPO, "release");
  const log = options.log ?? ((line: string) => console.log(`release: ${line}`));
  const { version } = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string };
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const mtime = sourceDateEpoch(REPO);

  await buildPluginArchives({ repo: REPO, out, version, mtime, targets: options.targets, log });

  if (options.sdks ?? !options.targets) {
    const sdks = await buildSdkPackages({ outDir: out, version, mtime });
    log(
      `SDK packages: ${[sdks.python.wheel, sdks.python.sdist, sdks.nodejs.tarball].map((f) => path.basename(f)).join(", ")}`,
    );
  }

  if (options.sbom) {
    const { npm } = projectNames(REPO);
    const file = `${npm}-${version}.cdx.json`;
    writeFileSync(path.join(out, file), packageSbom(REPO, npm, mtime));
    log(`SBOM: ${file}`);
  }

  const names = readdirSync(out).filter((name) => name !== "SHA256SUMS");
  writeFileSync(path.join(out, "SHA256SUMS"), sha256sums(out, names));
  log(`${names.length} files and SHA256SUMS in ${out}`);
  return [...names, "SHA256SUMS"].sort();
}

if (require.main === module) {
  const usage =
    "usage: npm run release [-- [--out <dir>] [--archives-only | --target <os>-<arch> ... [--sdks]] [--sbom]]";
  const args = process.argv.slice(2);
  const options: ReleaseOptions = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--out" && args[i + 1]) options.out = path.resolve(args[++i] ?? "");
    else if (arg === "--archives-only") options.targets = TARGETS;
    else if (arg === "--target" && args[i + 1]) {
      const name = args[++i];
      const target = TARGETS.find((t) => `${t.os}-${t.arch}` === name);
      if (!target) {
        console.error(`release: no target "${name}"; one of ${TARGETS.map((t) => `${t.os}-${t.arch}`).join(", ")}`);
        process.exit(2);
      }
      options.targets = [...(options.targets ?? []), target];
    } else if (arg === "--sdks") options.sdks = true;
    else if (arg === "--sbom") options.sbom = true;
    else {
      console.error(`release: unknown argument "${arg}"; ${usage}`);
      process.exit(2);
    }
  }
  const started = Date.now();
  release(options).then(
    () => console.log(`release: done in ${((Date.now() - started) / 1000).toFixed(1)} s`),
    (error: unknown) => {
      console.error(`release: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
