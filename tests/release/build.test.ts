/**
 * The pieces of `npm run release` that need no Node.js binaries: the reproducible tar writer, the plugin
 * bundle (schema and version built in), and the one place the download URL is said.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { GetSchemaRequest } from "@pulumi/pulumi/proto/provider_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { REPO } from "../../scripts/engine";
import { sha256sums } from "../../scripts/release";
import { bundlePlugin, PLUGIN } from "../../scripts/release/plugin";
import { tarGz } from "../../scripts/release/tar";
import { call, startPlugin } from "../helpers/plugin";
import { packageVersion, readTarGz } from "../helpers/release";

function json(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(REPO, file), "utf8")) as Record<string, unknown>;
}

describe("release: the reproducible tar.gz writer", () => {
  const entries = [
    { name: "b-tool", data: Buffer.from("#!/bin/sh\necho hi\n"), executable: true },
    { name: "LICENSE", data: Buffer.alloc(1500, "x") },
    { name: "README.md", data: Buffer.from("readme\n") },
  ];

  it("writes the same bytes for the same entries in any order, sorted, root-owned, with the given mtime", async () => {
    const a = await tarGz(entries, 1_700_000_000);
    const b = await tarGz([...entries].reverse(), 1_700_000_000);
    assert.ok(a.equals(b), "the bytes do not depend on the order given");
    const dir = mkdtempSync(path.join(tmpdir(), "sd-tar-"));
    try {
      writeFileSync(path.join(dir, "a.tar.gz"), a);
      // The system tar reads it, with the names, modes, owners and times we wrote.
      const listing = execFileSync("tar", ["-tvzf", path.join(dir, "a.tar.gz"), "--numeric-owner"], {
        encoding: "utf8",
        env: { ...process.env, TZ: "UTC" },
      });
      const rows = listing.trim().split("\n");
      assert.deepEqual(
        rows.map((r) => r.split(/\s+/).slice(-1)[0]),
        ["LICENSE", "README.md", "b-tool"],
      );
      assert.match(rows[2] ?? "", /^-rwxr-xr-x 0\/0 +18 2023-11-14 22:13 b-tool$/);
      assert.match(rows[0] ?? "", /^-rw-r--r-- 0\/0 +1500 2023-11-14 22:13 LICENSE$/);
      execFileSync("tar", ["-xzf", path.join(dir, "a.tar.gz"), "-C", dir]);
      assert.equal(readFileSync(path.join(dir, "LICENSE"), "utf8"), "x".repeat(1500));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const read = readTarGz(await writeTemp(a));
    assert.deepEqual(
      read.map((e) => [e.name, e.uname, e.gname, e.uid, e.gid, e.mtime]),
      ["LICENSE", "README.md", "b-tool"].map((n) => [n, "root", "root", 0, 0, 1_700_000_000]),
    );
  });

  it("writes a gzip header with no timestamp and no file name", async () => {
    const gz = await tarGz(entries, 1);
    assert.equal(gz.readUInt32LE(4), 0, "MTIME is 0");
    assert.equal(gz[3] ?? 0xff, 0, "FLG has no FNAME, FCOMMENT or FEXTRA");
    assert.ok(gunzipSync(gz).length % 512 === 0);
  });

  it("refuses a name that is not a plain relative path", async () => {
    await assert.rejects(tarGz([{ name: "../x", data: Buffer.alloc(1) }], 0), /not a plain relative path/);
    await assert.rejects(
      tarGz(
        [
          { name: "x", data: Buffer.alloc(1) },
          { name: "x", data: Buffer.alloc(2) },
        ],
        0,
      ),
      /twice/,
    );
  });

  it("writes SHA256SUMS as sha256sum prints it, and sha256sum -c accepts it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sd-sums-"));
    try {
      writeFileSync(path.join(dir, "b.tar.gz"), "bee");
      writeFileSync(path.join(dir, "a.tar.gz"), "ay");
      const sums = sha256sums(dir, ["b.tar.gz", "a.tar.gz"]);
      assert.equal(sums, execFileSync("sha256sum", ["a.tar.gz", "b.tar.gz"], { cwd: dir, encoding: "utf8" }));
      writeFileSync(path.join(dir, "SHA256SUMS"), sums);
      execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: dir, stdio: "ignore" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function writeTemp(data: Buffer): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), "sd-tar-read-"));
  const file = path.join(dir, "x.tar.gz");
  writeFileSync(file, data);
  return file;
}

describe("release: where the plugin is downloaded from is said once, in package.json", () => {
  const repository = (json("package.json").repository as { url: string }).url;
  const match = /^(?:git\+)?https:\/\/github\.com\/([\w.-]+)\/([\w.-]+?)(?:\.git)?$/.exec(repository);
  const url = `github://api.github.com/${match?.[1]}/${match?.[2]}`;
  const version = packageVersion();

  it("package.json names a GitHub repository", () => {
    assert.ok(match, `package.json repository.url ${repository}`);
  });

  it("schema.json's pluginDownloadURL is that repository's GitHub releases", () => {
    assert.equal(json("schema.json").pluginDownloadURL, url, "run npm run gen-sdk");
  });

  it("every generated SDK carries it (run npm run gen-sdk when this fails)", () => {
    const nodeSdk = json("sdk/nodejs/package.json").pulumi as Record<string, unknown>;
    assert.deepEqual(
      [nodeSdk.server, nodeSdk.version],
      [url, version],
      "sdk/nodejs/package.json pulumi.server and version",
    );
    for (const file of [
      "sdk/python/pulumi_cloudflare_stream/pulumi-plugin.json",
      "sdk/go/cloudflarestream/pulumi-plugin.json",
    ]) {
      assert.deepEqual([json(file).server, json(file).version], [url, version], file);
    }
    // The resource option each SDK sets by default, from which the engine downloads.
    assert.ok(readFileSync(path.join(REPO, "sdk/nodejs/utilities.ts"), "utf8").includes(`pluginDownloadURL: "${url}"`));
    assert.ok(
      readFileSync(path.join(REPO, "sdk/go/cloudflarestream/internal/pulumiUtilities.go"), "utf8").includes(
        `pulumi.PluginDownloadURL("${url}")`,
      ),
    );
    assert.ok(
      readFileSync(path.join(REPO, "sdk/python/pulumi_cloudflare_stream/_utilities.py"), "utf8").includes(`"${url}"`),
    );
  });

  it("examples/yaml names the same URL and version in its resource options", () => {
    const yaml = readFileSync(path.join(REPO, "examples/yaml/Pulumi.yaml"), "utf8");
    assert.match(yaml, new RegExp(`^ +pluginDownloadURL: ${url.replace(/[.]/g, "\\.")}$`, "m"));
    assert.match(yaml, new RegExp(`^ +version: ${version.replace(/[.]/g, "\\.")}$`, "m"));
  });
});

describe("release: the plugin bundle", function () {
  this.timeout(120_000);
  let dir: string;
  const version = packageVersion();

  before(async () => {
    // The bundle alone in a folder, as in a SEA: no package.json or schema.json anywhere near it.
    dir = mkdtempSync(path.join(tmpdir(), "sd-bundle-"));
    writeFileSync(path.join(dir, PLUGIN), `#!${process.execPath}\n${(await bundlePlugin(REPO, version)).toString()}`);
    chmodSync(path.join(dir, PLUGIN), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the version and schema built into it, reading no file beside it", async () => {
    const plugin = await startPlugin(dir);
    try {
      const info = await call(plugin.client, "getPluginInfo", new Empty());
      assert.equal(info.getVersion(), version);
      const schema = JSON.parse((await call(plugin.client, "getSchema", new GetSchemaRequest())).getSchema()) as {
        version: string;
        pluginDownloadURL: string;
        resources: Record<string, unknown>;
      };
      assert.equal(schema.version, version);
      assert.equal(schema.pluginDownloadURL, json("schema.json").pluginDownloadURL);
      assert.deepEqual(Object.keys(schema.resources), Object.keys(json("schema.json").resources as object));
      assert.equal(plugin.stderr(), "", "nothing on stderr (no deprecation warning)");
    } finally {
      await plugin.stop();
    }
  });
});
