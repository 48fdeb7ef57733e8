/**
 * scripts/supported-node.sh, which `npm run demo` and `npm test` go through: on a Node.js older than package.json's
 * `engines` allow, one line says so and the command runs on Node.js 24 from scripts/node.sh, as in CI.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REPO } from "../helpers/engine";
import { olderNode } from "../helpers/older-node";

const GUARD = path.join(REPO, "scripts", "supported-node.sh");

/** Runs `node -p process.version` through the script with `first` (a folder holding `node`) first on PATH. */
function versionThroughGuard(first: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync("bash", [GUARD, "node", "-p", "process.version"], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${first}${path.delimiter}${process.env.PATH ?? ""}` },
    timeout: 10 * 60 * 1000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("scripts/supported-node.sh", function () {
  this.timeout(10 * 60 * 1000);

  it("runs the command as it is, saying nothing, when the node on PATH is supported", () => {
    const run = versionThroughGuard(path.dirname(process.execPath));
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), process.version);
    assert.equal(run.stderr, "");
  });

  it("on an older Node.js, says so in one line and runs the command on Node.js 24 from scripts/node.sh", () => {
    const old = olderNode();
    const oldVersion = spawnSync(old, ["--version"], { encoding: "utf8" }).stdout.trim();
    const bin = mkdtempSync(path.join(tmpdir(), "sd-old-node-"));
    try {
      symlinkSync(old, path.join(bin, "node"));
      const run = versionThroughGuard(bin);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout.trim(), /^v24\./);
      assert.deepEqual(run.stderr.trim().split("\n"), [
        `Node.js ${oldVersion} is older than this project supports (22 or newer); running on Node.js 24 from ` +
          `scripts/node.sh instead (installed once, as CI does).`,
      ]);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("is what npm run demo and npm test run their Node.js programs through", () => {
    const { scripts } = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    assert.match(scripts.demo ?? "", /^bash scripts\/supported-node\.sh ts-node /);
    assert.match(scripts.test ?? "", /&& bash scripts\/supported-node\.sh mocha /);
  });
});
