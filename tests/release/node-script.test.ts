import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import * as path from "node:path";
import { REPO } from "../helpers/engine";

/** Runs scripts/node.sh with the given arguments. */
function nodeScript(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync("bash", [path.join(REPO, "scripts", "node.sh"), ...args], { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("scripts/node.sh", () => {
  it("prints the folder of the node on PATH when it already has the major version asked for", () => {
    const major = process.version.slice(1).split(".")[0] ?? "";
    const run = nodeScript(major);
    assert.equal(run.status, 0, run.stderr);
    const folder = run.stdout.trim().split("\n").pop() ?? "";
    assert.equal(realpathSync(path.join(folder, "node")), realpathSync(process.execPath));
  });

  it("rejects a major version that is not a whole number, naming it and showing the usage", () => {
    const run = nodeScript("22.x");
    assert.equal(run.status, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /must be a whole number such as 22 or 24, got '22\.x'/);
    assert.match(run.stderr, /usage: bash scripts\/node\.sh <major version>/);
  });

  it("asks for exactly one argument", () => {
    const run = nodeScript();
    assert.equal(run.status, 1);
    assert.match(run.stderr, /expected one argument, the major version of Node\.js/);
  });
});
