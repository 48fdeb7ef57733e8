/**
 * The release archives as the tests meet them: release/ built by `npm run release` (built here when missing or
 * out of date), and a reader of the archives that checks nothing on the way, so that tests can.
 */
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { release } from "../../scripts/release";
import { archiveName, TARGETS, type Target } from "../../scripts/release/plugin";
import { REPO } from "../../scripts/engine";

export const RELEASE = path.join(REPO, "release");

/** One entry of a tar archive, as its header says. */
export interface ReadEntry {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  type: string;
  data: Buffer;
}

function text(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

/** The entries of a `.tar.gz`, in archive order. */
export function readTarGz(file: string): ReadEntry[] {
  const tar = gunzipSync(readFileSync(file));
  const entries: ReadEntry[] = [];
  let at = 0;
  while (at + 512 <= tar.length) {
    const block = tar.subarray(at, at + 512);
    if (block.every((b) => b === 0)) break;
    const size = parseInt(text(block, 124, 12), 8);
    entries.push({
      name: text(block, 0, 100),
      mode: parseInt(text(block, 100, 8), 8),
      uid: parseInt(text(block, 108, 8), 8),
      gid: parseInt(text(block, 116, 8), 8),
      mtime: parseInt(text(block, 136, 12), 8),
      type: text(block, 156, 1),
      uname: text(block, 265, 32),
      gname: text(block, 297, 32),
      data: Buffer.from(tar.subarray(at + 512, at + 512 + size)),
    });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }).version;
}

const CHECK_TARGET = TARGETS.find((t) => t.os === "linux" && t.arch === "amd64") as Target;

/**
 * release/ for this checkout: built by the release script when it is missing, or when a fresh build of one
 * archive (linux-amd64) differs from the one there, which means release/ was built from other sources or
 * another commit.
 */
export async function ensureRelease(log: (line: string) => void = () => undefined): Promise<string> {
  const version = packageVersion();
  const complete =
    existsSync(path.join(RELEASE, "SHA256SUMS")) &&
    TARGETS.every((t) => existsSync(path.join(RELEASE, archiveName(version, t)))) &&
    // the SDK packages, which only a whole release builds
    existsSync(path.join(RELEASE, `pulumi-cloudflare-stream-${version}.tgz`));
  if (complete) {
    const check = mkdtempSync(path.join(tmpdir(), "sd-release-check-"));
    try {
      await release({ out: check, targets: [CHECK_TARGET], log: () => undefined });
      const name = archiveName(version, CHECK_TARGET);
      if (readFileSync(path.join(check, name)).equals(readFileSync(path.join(RELEASE, name)))) return RELEASE;
      log("release/ is out of date: building it again");
    } finally {
      rmSync(check, { recursive: true, force: true });
    }
  } else {
    log("release/ is missing: building it (npm run release)");
  }
  await release({ out: RELEASE, log });
  return RELEASE;
}

/** The first `node` on a PATH (as /bin/sh finds it), or undefined. */
export function nodeOn(pathValue: string): string | undefined {
  const found = spawnSync("/bin/sh", ["-c", "command -v node"], { env: { PATH: pathValue }, encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Serves the files of a folder over HTTP with Content-Length (the CLI checks it), recording the names asked. */
export async function serveFolder(dir: string): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/").replace(/^\/+/, "");
    requests.push(name);
    const file = path.join(dir, name);
    if (!name || name.includes("/") || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "application/gzip", "Content-Length": statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests, server };
}
