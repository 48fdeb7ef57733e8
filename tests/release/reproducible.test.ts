/**
 * One commit gives the same release bytes whichever Node.js and npm run the build: `npm run release` twice,
 * once on Node.js 22 (with its npm) and once on Node.js 24, each in a fresh folder, then every byte compared.
 *
 * What it builds, to stay lean: the linux-amd64 and darwin-arm64 archives (the bundle, the SEA injection, the
 * ad-hoc signature, the tar and gzip writer) and every SDK package (the Python wheel and sdist, the Node.js
 * SDK's tarball), and SHA256SUMS. The other archives go through the same code with another `node` from the
 * registry. What it cannot vary here: the machine (one CPU, one Python and its zlib for the wheel); the
 * Node.js binaries inside the archives are pinned (NODE_VERSION) and so is the `node` that writes the SEA blob.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REPO } from "../../scripts/engine";

const MAJORS = [22, 24] as const;
const TARGETS = ["linux-amd64", "darwin-arm64"];

/** The folder of `node` of that major version (scripts/node.sh installs it once when the machine lacks it). */
function nodeBin(major: number): string {
  const out = execFileSync("bash", [path.join(REPO, "scripts", "node.sh"), String(major)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").pop() ?? "";
}

/** The commit checked out and what differs from it: what the builds read. */
function checkout(): string {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO, encoding: "utf8" });
  return `${git("rev-parse", "HEAD")}${git("status", "--porcelain")}`;
}

describe("release: the same bytes from one commit on Node.js 22 and on Node.js 24", function () {
  this.timeout(90 * 60 * 1000);
  const outs: string[] = [];
  after(() => {
    for (const dir of outs) rmSync(dir, { recursive: true, force: true });
  });

  it(`builds ${TARGETS.join(" and ")} and the SDK packages on each; every file is byte-identical`, () => {
    const before = checkout();
    for (const major of MAJORS) {
      const bin = nodeBin(major);
      const out = mkdtempSync(path.join(tmpdir(), `sd-release-node${major}-`));
      outs.push(out);
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` };
      delete env.SOURCE_DATE_EPOCH; // the commit's time, on both
      const versions = execFileSync("bash", ["-c", "node --version; npm --version"], { env, encoding: "utf8" });
      assert.match(versions, new RegExp(`^v${major}\\.`), `Node.js ${major} runs the build`);
      console.log(`      Node.js ${versions.trim().replace("\n", ", npm ")}: npm run release into ${out}`);
      const started = Date.now();
      execFileSync(
        path.join(bin, "node"),
        [
          path.join(REPO, "node_modules", "ts-node", "dist", "bin.js"),
          "--transpile-only",
          path.join(REPO, "scripts", "release.ts"),
          "--out",
          out,
          ...TARGETS.flatMap((t) => ["--target", t]),
          "--sdks",
        ],
        { cwd: REPO, env, stdio: ["ignore", "ignore", "inherit"] },
      );
      console.log(`      built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    assert.equal(checkout(), before, "the checkout (commit and files) did not change while the test built");
    const [a, b] = outs as [string, string];
    const files = readdirSync(a).sort();
    assert.deepEqual(readdirSync(b).sort(), files, "the same files");
    // Each kind of file a release holds: two archives, the wheel, the sdist, the SDK tarball, SHA256SUMS.
    assert.equal(files.length, 6, files.join(", "));
    const differ = files.filter((file) => !readFileSync(path.join(a, file)).equals(readFileSync(path.join(b, file))));
    assert.deepEqual(differ, [], "files whose bytes differ");
  });
});
