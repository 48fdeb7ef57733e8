/**
 * What the release workflow (.github/workflows/release.yml) publishes, rehearsed here without publishing:
 * - the tag check it starts with (scripts/release/tag.ts);
 * - `npm publish --dry-run` of the package and of the Node.js SDK's tarball from release/;
 * - `twine check --strict` of the wheel and the sdist (what PyPI checks of their metadata);
 * - the Go SDK's module zip at the version the tag gives, as the module proxy makes it from the tag, checked by
 *   golang.org/x/mod/zip and then fetched by `go mod download` from a file-system proxy;
 * - the SBOM among the assets.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REPO } from "../../scripts/engine";
import { projectNames } from "../../scripts/release/names";
import { makeVenv, run } from "../../scripts/release/python";
import { packageSbom } from "../../scripts/release/sbom";
import { releaseTag } from "../../scripts/release/tag";
import { ensureRelease } from "../helpers/release";

const names = projectNames(REPO);
const TWINE = "twine==7.0.0";

interface DryRun {
  id: string;
  name: string;
  version: string;
  files: { path: string }[];
}

/** `npm publish --dry-run --json` of what `args` names, as npm reports it. */
function npmPublishDryRun(args: string[]): DryRun {
  const out = execFileSync("npm", ["publish", "--dry-run", "--json", ...args], {
    cwd: REPO,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  // npm 11 keys the report by package name; npm 10 prints the report itself.
  const report = JSON.parse(out.slice(out.indexOf("{"))) as DryRun | Record<string, DryRun>;
  return "id" in report ? (report as DryRun) : (Object.values(report)[0] as DryRun);
}

describe("release: the publishing steps of the release workflow, as dry runs", function () {
  this.timeout(30 * 60 * 1000);
  let release: string;
  const temps: string[] = [];
  const temp = (prefix: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    temps.push(dir);
    return dir;
  };

  before(async () => {
    release = await ensureRelease((line) => console.log(`      ${line}`));
  });
  after(() => {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  it("the tag v<version> passes the check and names the files each registry gets; another tag is refused", () => {
    const tag = releaseTag(`v${names.version}`, REPO);
    assert.deepEqual(tag, {
      version: names.version,
      npm: names.npm,
      nodejsSdk: names.nodejsSdk,
      nodejsTarball: `${names.nodejsSdk}-${names.version}.tgz`,
      wheel: `${names.pypiProject}-${names.version}-py3-none-any.whl`,
      sdist: `${names.pypiProject}-${names.version}.tar.gz`,
      goTag: `sdk/go/v${names.version}`,
    });
    for (const file of [tag.nodejsTarball, tag.wheel, tag.sdist]) {
      assert.match(
        readFileSync(path.join(release, "SHA256SUMS"), "utf8"),
        new RegExp(`  ${file.replace(/[.]/g, "\\.")}\n`),
      );
    }
    assert.throws(() => releaseTag("v99.0.0", REPO), /is not package\.json's version .*set "version" in package\.json/);
    assert.throws(() => releaseTag(names.version, REPO), /is not v<major>\.<minor>\.<patch>/);
  });

  it("npm publish --dry-run: the package, with the plugin's bin and schema.json", () => {
    const got = npmPublishDryRun([]);
    assert.equal(got.id, `${names.npm}@${names.version}`);
    const files = got.files.map((f) => f.path);
    for (const file of ["dist/index.js", "dist/native/main.js", "schema.json", "package.json"]) {
      assert.ok(files.includes(file), `${file} in ${files.join(", ")}`);
    }
  });

  it("npm publish --dry-run: the Node.js SDK's tarball from release/, as it is", () => {
    const tarball = path.join(release, releaseTag(`v${names.version}`, REPO).nodejsTarball);
    // ./ or an absolute path: npm reads "release/x.tgz" as a GitHub repository.
    const got = npmPublishDryRun([tarball]);
    assert.equal(got.id, `${names.nodejsSdk}@${names.version}`);
    const files = got.files.map((f) => f.path);
    assert.ok(files.includes("index.js") && files.includes("index.d.ts"), files.join(", "));
  });

  it("twine check --strict: the wheel and the sdist", () => {
    const tag = releaseTag(`v${names.version}`, REPO);
    const venv = makeVenv(path.join(temp("sd-twine-"), "venv"), [TWINE], [], [TWINE]);
    const out = run(path.join(venv.bin, "twine"), [
      "check",
      "--strict",
      path.join(release, tag.wheel),
      path.join(release, tag.sdist),
    ]);
    assert.equal(out.match(/PASSED/g)?.length, 2, out);
  });

  it("the Go SDK's module zip at the tag's version: checked by golang.org/x/mod/zip, fetched by go mod download", () => {
    const version = `v${names.version}`;
    // What the tag holds of sdk/go: the module proxy zips the tagged tree.
    const tree = temp("sd-go-tree-");
    const archive = execFileSync("git", ["archive", "--format=tar", "HEAD", "sdk/go"], {
      cwd: REPO,
      maxBuffer: 64 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", tree], { input: archive });
    const proxy = temp("sd-go-proxy-");
    const goEnv = { ...process.env, GOWORK: "off", CGO_ENABLED: "0", GOFLAGS: "-mod=readonly" };
    const made = JSON.parse(
      execFileSync("go", ["run", "-trimpath", ".", path.join(tree, "sdk", "go"), names.goModule, version, proxy], {
        cwd: path.join(REPO, "scripts", "gomodzip"),
        env: goEnv,
        encoding: "utf8",
      }),
    ) as { hash: string; files: string[] };
    const prefix = `${names.goModule}@${version}/`;
    assert.ok(
      made.files.every((f) => f.startsWith(prefix)),
      "every file under <module>@<version>/",
    );
    for (const file of ["go.mod", "cloudflarestream/streamDownload.go", "cloudflarestream/pulumi-plugin.json"]) {
      assert.ok(made.files.includes(prefix + file), `${file} in the zip`);
    }
    // The go command fetches it as from the proxy, checks it, and computes the same go.sum hash.
    const consumer = temp("sd-go-consumer-");
    writeFileSync(path.join(consumer, "go.mod"), "module consumer\n\ngo 1.24\n");
    const modcache = path.join(consumer, "modcache");
    mkdirSync(modcache);
    try {
      const downloaded = JSON.parse(
        execFileSync("go", ["mod", "download", "-json", `${names.goModule}@${version}`], {
          cwd: consumer,
          env: { ...goEnv, GOPROXY: `file://${proxy}`, GOSUMDB: "off", GOMODCACHE: modcache, GOFLAGS: "-mod=mod" },
          encoding: "utf8",
        }),
      ) as { Version: string; Sum: string; Error?: string };
      assert.equal(downloaded.Error, undefined);
      assert.deepEqual([downloaded.Version, downloaded.Sum], [version, made.hash]);
    } finally {
      execFileSync("chmod", ["-R", "u+w", modcache]); // the module cache is read-only
    }
  });

  it("the SBOM: CycloneDX of the package and its runtime dependencies, the same twice", () => {
    const mtime = 1_700_000_000;
    const text = packageSbom(REPO, names.npm, mtime);
    assert.equal(packageSbom(REPO, names.npm, mtime), text, "the same document from the same lockfile");
    const bom = JSON.parse(text) as {
      bomFormat: string;
      serialNumber: string;
      metadata: { timestamp: string; component: { name: string; version: string } };
      components: { name: string }[];
    };
    assert.equal(bom.bomFormat, "CycloneDX");
    assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(bom.metadata.timestamp, "2023-11-14T22:13:20.000Z");
    assert.deepEqual([bom.metadata.component.name, bom.metadata.component.version], [names.npm, names.version]);
    const components = bom.components.map((c) => c.name);
    // Each runtime dependency of package.json is there (npm's --omit dev loses the first two), no dev tool is.
    for (const dep of ["@grpc/grpc-js", "google-protobuf", "node-fetch"]) assert.ok(components.includes(dep), dep);
    for (const dev of ["typescript", "mocha", "esbuild", "@pulumi/pulumi"]) assert.ok(!components.includes(dev), dev);
  });
});
