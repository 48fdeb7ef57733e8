/**
 * The self-contained binaries of release/ as each platform would check them, here on Linux:
 * - Linux: it starts, with no Node.js on PATH, and prints nothing on stderr;
 * - macOS: a Mach-O for the archive's CPU holding the application blob and the SEA fuse, signed ad hoc, which
 *   `rcodesign verify` (apple-codesign, an implementation independent of ours) accepts, and rejects once a
 *   byte of the code has changed;
 * - Windows: a PE for AMD64 holding the application blob and the SEA fuse, with no certificate table
 *   (Node.js's node.exe has one, which the injection would have broken).
 * Running the macOS and Windows binaries is the CI workflow's job on those runners (.github/workflows/ci.yml).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { nodePackage } from "../../scripts/release/node-dist";
import { archiveName, executableName, NODE_VERSION, PLUGIN, TARGETS, type Target } from "../../scripts/release/plugin";
import { REPO } from "../../scripts/engine";
import { call, startPlugin } from "../helpers/plugin";
import { ensureRelease, nodeOn, packageVersion, readTarGz } from "../helpers/release";

const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1";
/** A string of the bundle that the application blob must hold. */
const FROM_THE_BUNDLE = "cloudflare-stream:index:StreamDownload";
const version = packageVersion();

function executable(release: string, target: Target): Buffer {
  const entry = readTarGz(path.join(release, archiveName(version, target))).find(
    (e) => e.name === executableName(target),
  );
  assert.ok(entry, `${archiveName(version, target)} holds ${executableName(target)}`);
  return entry.data;
}

type Section = { offset: number; data: Buffer };

/** The parts of a 64-bit Mach-O the test looks at, read here independently of scripts/release/macho.ts. */
function machO(file: Buffer) {
  const segments = new Map<string, { fileoff: number; filesize: number; sections: Map<string, Section> }>();
  let signature: { dataoff: number; datasize: number } | undefined;
  let at = 32;
  for (let i = 0; i < file.readUInt32LE(16); i++) {
    const cmd = file.readUInt32LE(at);
    if (cmd === 0x19) {
      const sections = new Map<string, Section>();
      for (let s = 0; s < file.readUInt32LE(at + 64); s++) {
        const sect = at + 72 + s * 80;
        const offset = file.readUInt32LE(sect + 48);
        const size = Number(file.readBigUInt64LE(sect + 40));
        sections.set(file.toString("latin1", sect, sect + 16).replace(/\0+$/, ""), {
          offset,
          data: file.subarray(offset, offset + size),
        });
      }
      segments.set(file.toString("latin1", at + 8, at + 24).replace(/\0+$/, ""), {
        fileoff: Number(file.readBigUInt64LE(at + 40)),
        filesize: Number(file.readBigUInt64LE(at + 48)),
        sections,
      });
    } else if (cmd === 0x1d) {
      signature = { dataoff: file.readUInt32LE(at + 8), datasize: file.readUInt32LE(at + 12) };
    }
    at += file.readUInt32LE(at + 4);
  }
  return {
    magic: file.readUInt32LE(0),
    cputype: file.readUInt32LE(4),
    filetype: file.readUInt32LE(12),
    segments,
    signature,
  };
}

/** The certificate table's data directory entry of a PE file (offset, size). */
function certificateTable(file: Buffer): { offset: number; size: number; machine: number } {
  assert.equal(file.toString("latin1", 0, 2), "MZ");
  const pe = file.readUInt32LE(0x3c);
  assert.equal(file.toString("latin1", pe, pe + 4), "PE\0\0");
  const optional = pe + 24;
  assert.equal(file.readUInt16LE(optional), 0x20b, "PE32+");
  const entry = optional + 112 + 4 * 8;
  return { offset: file.readUInt32LE(entry), size: file.readUInt32LE(entry + 4), machine: file.readUInt16LE(pe + 4) };
}

describe("release: the binaries as their platforms check them", function () {
  this.timeout(30 * 60 * 1000);
  let release: string;
  let rcodesign: string;
  const temps: string[] = [];
  const temp = (prefix: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    temps.push(dir);
    return dir;
  };

  /** What `rcodesign verify` reports of a file: its problem lines, and everything it printed. */
  function verify(file: string): { problems: string[]; output: string } {
    const run = spawnSync(rcodesign, ["verify", file], { encoding: "utf8" });
    const output = `${run.stdout}${run.stderr}`;
    const problems = output
      .split("\n")
      .map((line) => line.replace(/^verify\(the verify command is known to be buggy[^)]*\)/, "").trim())
      .filter(
        (line) => line && !line.startsWith("Error: problems reported") && !line.startsWith("(the verify command"),
      );
    return { problems, output };
  }

  /** The code_directory part of `rcodesign print-signature-info`. */
  function codeDirectory(file: string): string {
    const info = execFileSync(rcodesign, ["print-signature-info", file], { encoding: "utf8" });
    return /^ *code_directory:\n[\s\S]*?(?=^ *cms:)/m.exec(info)?.[0] ?? assert.fail(`no code_directory in ${info}`);
  }

  before(async () => {
    release = await ensureRelease((line) => console.log(`      ${line}`));
    // Built with cargo once, then cached (scripts/rcodesign.sh); .ci/run builds it before the tests.
    const bin = execFileSync("bash", [path.join(REPO, "scripts", "rcodesign.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    rcodesign = path.join(bin.trim().split("\n").pop() ?? "", "rcodesign");
  });
  after(() => {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  it("linux-amd64: starts with no Node.js on PATH and prints nothing on stderr", async () => {
    const target = TARGETS.find((t) => t.os === "linux" && t.arch === "amd64") as Target;
    const dir = temp("sd-linux-bin-");
    writeFileSync(path.join(dir, PLUGIN), executable(release, target));
    chmodSync(path.join(dir, PLUGIN), 0o755);
    const empty = temp("sd-empty-path-");
    assert.equal(nodeOn(empty), undefined);
    const plugin = await startPlugin(dir, [], { PATH: empty });
    try {
      assert.equal((await call(plugin.client, "getPluginInfo", new Empty())).getVersion(), version);
    } finally {
      await plugin.stop();
    }
    assert.equal(plugin.stderr(), "", "stderr at start");
  });

  for (const target of TARGETS.filter((t) => t.os === "darwin")) {
    it(`darwin-${target.arch}: a Mach-O for its CPU with the application and the fuse, ad-hoc signed, which rcodesign verifies`, () => {
      const data = executable(release, target);
      const m = machO(data);
      assert.equal(m.magic, 0xfeedfacf, "64-bit Mach-O");
      assert.equal(m.cputype, target.arch === "arm64" ? 0x0100000c : 0x01000007, "CPU type");
      assert.equal(m.filetype, 2, "an executable (MH_EXECUTE)");
      const blob = m.segments.get("NODE_SEA")?.sections.get("__NODE_SEA_BLOB");
      assert.ok(blob?.data.includes(FROM_THE_BUNDLE), "the NODE_SEA segment holds the application blob");
      assert.ok(data.includes(SEA_FUSE), "the SEA fuse is set");
      assert.ok(data.includes(NODE_VERSION), `Node.js ${NODE_VERSION}`);
      // One signature, at the end of the file, ending __LINKEDIT: a SuperBlob whose CodeDirectory is ad hoc.
      assert.ok(m.signature, "LC_CODE_SIGNATURE");
      const linkedit = m.segments.get("__LINKEDIT");
      assert.equal(m.signature.dataoff + m.signature.datasize, data.length, "the signature ends the file");
      assert.equal((linkedit?.fileoff ?? 0) + (linkedit?.filesize ?? 0), data.length, "__LINKEDIT covers it");
      const sig = data.subarray(m.signature.dataoff);
      assert.equal(sig.readUInt32BE(0), 0xfade0cc0, "an embedded signature SuperBlob");
      const cd = sig.subarray(sig.readUInt32BE(16));
      assert.deepEqual([sig.readUInt32BE(12), cd.readUInt32BE(0)], [0, 0xfade0c02], "slot 0: the CodeDirectory");
      assert.equal(cd.readUInt32BE(12) & 0x2, 0x2, "CS_ADHOC");

      const dir = temp("sd-macho-");
      const file = path.join(dir, PLUGIN);
      writeFileSync(file, data);
      // rcodesign verify checks every page hash and reports, for an ad-hoc signature, only that it has no
      // cryptographic (CMS) signature, and exits 1 for that (its own ad-hoc signatures get a CMS error instead).
      const good = verify(file);
      assert.deepEqual(good.problems, ["no cryptographic signature present"], good.output);
      // One byte of the code changed: the page's hash no longer matches, and rcodesign says so.
      const tampered = Buffer.from(data);
      const at = (m.segments.get("__TEXT")?.sections.get("__text")?.offset ?? 0) + 64;
      assert.ok(at > 64, "__TEXT,__text");
      tampered[at] = (tampered[at] ?? 0) ^ 0xff;
      writeFileSync(path.join(dir, "tampered"), tampered);
      const bad = verify(path.join(dir, "tampered"));
      assert.ok(
        bad.problems.some((p) => /^code digest mismatch for entry \d+/.test(p)),
        bad.output,
      );
      // rcodesign's own ad-hoc signature of the same binary has the same CodeDirectory (it adds an empty CMS blob).
      execFileSync(rcodesign, ["sign", file, path.join(dir, "theirs")], { stdio: "ignore" });
      assert.equal(codeDirectory(file), codeDirectory(path.join(dir, "theirs")));
      assert.match(
        codeDirectory(file),
        /flags: CodeSignatureFlags\(ADHOC\)[\s\S]*identifier: pulumi-resource-cloudflare-stream/,
      );
    });
  }

  it("windows-amd64: a PE for AMD64 with the application and the fuse, and no certificate table (Node.js's has one)", () => {
    const target = TARGETS.find((t) => t.os === "windows") as Target;
    const data = executable(release, target);
    const table = certificateTable(data);
    assert.equal(table.machine, 0x8664, "AMD64");
    assert.deepEqual([table.offset, table.size], [0, 0], "no certificate table: cleanly unsigned");
    assert.ok(data.includes(Buffer.from("NODE_SEA_BLOB", "utf16le")), "the NODE_SEA_BLOB resource");
    assert.ok(data.includes(FROM_THE_BUNDLE), "the application blob");
    assert.ok(data.includes(SEA_FUSE), "the SEA fuse is set");
    // What the release started from: Node.js's signed node.exe, its certificate table ending the file.
    const original = readFileSync(
      path.join(
        nodePackage(target.nodePackage, NODE_VERSION, () => undefined),
        "bin",
        "node.exe",
      ),
    );
    const signed = certificateTable(original);
    assert.ok(signed.size > 0, "node.exe is signed");
    assert.ok(signed.offset + signed.size <= original.length && original.length - (signed.offset + signed.size) < 8);
  });
});
