/**
 * scripts/release/zip.ts: a zip written by Python's zipfile (as the wheel is) comes out with the same entries,
 * contents, times and permissions, which Python reads and tests, and the same bytes when written again.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { python } from "../../scripts/release/python";
import { readZip, rewriteZip } from "../../scripts/release/zip";

/** What Python's zipfile reads of a zip: each entry's name, time, permissions and contents (hex). */
function asPythonReadsIt(file: string): unknown {
  const script = [
    "import json, sys, zipfile",
    "z = zipfile.ZipFile(sys.argv[1])",
    "assert z.testzip() is None",
    "print(json.dumps([[i.filename, list(i.date_time), i.external_attr >> 16, z.read(i).hex()] for i in z.infolist()]))",
  ].join("\n");
  return JSON.parse(execFileSync(python(), ["-c", script, file], { encoding: "utf8" }));
}

describe("release: the zip writer", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sd-zip-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps every entry, its time and permissions, compresses with pako, and is stable", () => {
    const original = path.join(dir, "original.whl");
    // Stored and deflated entries, an executable one, a time that is not now: what a wheel can hold.
    const make = [
      "import sys, zipfile",
      "with zipfile.ZipFile(sys.argv[1], 'w') as z:",
      "    for name, data, mode, method in [('pkg/__init__.py', b'x = 1\\n' * 200, 0o644, zipfile.ZIP_DEFLATED),",
      "                                    ('pkg/tool.sh', b'#!/bin/sh\\necho hi\\n', 0o755, zipfile.ZIP_STORED),",
      "                                    ('pkg-1.0.dist-info/RECORD', b'', 0o644, zipfile.ZIP_DEFLATED)]:",
      "        info = zipfile.ZipInfo(name, date_time=(2023, 11, 14, 22, 13, 20))",
      "        info.external_attr = mode << 16",
      "        info.compress_type = method",
      "        z.writestr(info, data)",
    ].join("\n");
    execFileSync(python(), ["-c", make, original]);
    const rewritten = rewriteZip(readFileSync(original));
    const file = path.join(dir, "rewritten.whl");
    writeFileSync(file, rewritten);
    assert.deepEqual(asPythonReadsIt(file), asPythonReadsIt(original));
    assert.deepEqual(
      readZip(rewritten).map((e) => e.name.toString()),
      ["pkg/__init__.py", "pkg/tool.sh", "pkg-1.0.dist-info/RECORD"],
      "the order of the original",
    );
    assert.ok(rewriteZip(rewritten).equals(rewritten), "written again: the same bytes");
    const unzip = execFileSync("unzip", ["-Z", file], { encoding: "utf8" });
    assert.match(unzip, /rwxr-xr-x .* defN .* pkg\/tool\.sh/, "every entry deflated, the mode kept");
  });

  it("refuses what is not a zip", () => {
    assert.throws(() => rewriteZip(Buffer.from("not a zip")), /no end of central directory record/);
  });
});
