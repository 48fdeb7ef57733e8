/**
 * The SDK packages as users install them (scripts/release/sdks.ts, buildSdkPackages): the Python wheel installs
 * with pip into a fresh virtual environment and imports; the Node.js tarball installs with npm into a program
 * that compiles against its declarations and runs; the Go module path is the one `go get` resolves from
 * package.json's repository.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { makeVenv, pythonPulumiVersion } from "../../scripts/release/python";
import type { SdkPackages } from "../../scripts/release/sdks";
import { repoVersionOf } from "../helpers/pack";
import { REPO, runPrinted, sdkPackages, tempDir, VERSION } from "../helpers/sdks";

function listTar(file: string): string[] {
  return execFileSync("tar", ["-tzf", file], { encoding: "utf8" }).trim().split("\n").sort();
}

describe("the SDK packages as users install them", function () {
  this.timeout(15 * 60 * 1000);
  let built: SdkPackages;

  before(async () => {
    const start = Date.now();
    built = await sdkPackages();
    console.log(`      buildSdkPackages: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  });

  it("Python: an sdist and a wheel; pip installs the wheel into a fresh virtual environment, and it imports", () => {
    assert.equal(path.basename(built.python.wheel), `pulumi_cloudflare_stream-${VERSION}-py3-none-any.whl`);
    assert.equal(path.basename(built.python.sdist), `pulumi_cloudflare_stream-${VERSION}.tar.gz`);
    const sdist = listTar(built.python.sdist);
    for (const file of [
      "setup.py",
      "pulumi_cloudflare_stream/__init__.py",
      "pulumi_cloudflare_stream/pulumi-plugin.json",
    ]) {
      assert.ok(sdist.includes(`pulumi_cloudflare_stream-${VERSION}/${file}`), `the sdist holds ${file}`);
    }
    const venv = makeVenv(
      path.join(tempDir("sd-py-install-"), "venv"),
      [`pulumi==${pythonPulumiVersion()}`],
      [built.python.wheel],
    );
    const out = runPrinted(
      venv.python,
      [
        "-c",
        [
          "import json, importlib.metadata as m, importlib.resources as r",
          "import pulumi_cloudflare_stream as cfs",
          "print(json.dumps({'version': m.version('pulumi_cloudflare_stream'), 'requires': m.requires('pulumi_cloudflare_stream'),",
          "  'plugin': json.loads(r.files('pulumi_cloudflare_stream').joinpath('pulumi-plugin.json').read_text()),",
          "  'typed': r.files('pulumi_cloudflare_stream').joinpath('py.typed').is_file(),",
          "  'types': sorted(n for n in ('StreamDownload', 'Provider', 'DownloadType') if hasattr(cfs, n))}))",
        ].join("\n"),
      ],
      { cwd: venv.dir, show: "<fresh venv>/bin/python -c 'import pulumi_cloudflare_stream ...'" },
    );
    const got = JSON.parse(out) as {
      version: string;
      requires: string[];
      plugin: unknown;
      typed: boolean;
      types: string[];
    };
    assert.equal(got.version, VERSION);
    assert.ok(
      got.requires.some((r) => /^pulumi(<4\.0\.0,>=3\.231\.0|>=3\.231\.0,<4\.0\.0)$/.test(r)),
      got.requires.join(", "),
    );
    // The plugin file tells the CLI which plugin to get, and where from (schema.json's pluginDownloadURL).
    const { pluginDownloadURL } = JSON.parse(readFileSync(path.join(REPO, "schema.json"), "utf8")) as {
      pluginDownloadURL: string;
    };
    assert.deepEqual(got.plugin, {
      resource: true,
      name: "cloudflare-stream",
      version: VERSION,
      server: pluginDownloadURL,
    });
    assert.equal(got.typed, true);
    assert.deepEqual(got.types, ["DownloadType", "Provider", "StreamDownload"]);
  });

  it("Node.js: a tarball of JavaScript and declarations that a program installs, compiles against and runs", () => {
    const files = listTar(built.nodejs.tarball);
    assert.ok(files.includes("package/index.js") && files.includes("package/index.d.ts"), files.join("\n"));
    assert.deepEqual(
      files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")),
      [],
      "no TypeScript sources",
    );
    const dir = tempDir("sd-node-sdk-");
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "sdk-consumer", private: true }));
    execFileSync(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        built.nodejs.tarball,
        `@pulumi/pulumi@${repoVersionOf("@pulumi/pulumi")}`,
        `typescript@${repoVersionOf("typescript")}`,
        `@types/node@${repoVersionOf("@types/node")}`,
      ],
      { cwd: dir, stdio: ["ignore", "ignore", "inherit"], timeout: 10 * 60 * 1000 },
    );
    // A program as users write it, type-checked against the package's declarations, run under Pulumi's mocks.
    writeFileSync(
      path.join(dir, "index.ts"),
      [
        'import * as pulumi from "@pulumi/pulumi";',
        'import * as cfs from "pulumi-cloudflare-stream";',
        "pulumi.runtime.setMocks(",
        "  {",
        "    newResource: (a) => ({ id: `${a.inputs.accountId}/${a.inputs.identifier}`, state: { ...a.inputs, default: { status: 'ready', percentComplete: 100, url: 'https://x/default.mp4' } } }),",
        "    call: () => ({}),",
        "  },",
        '  "p",',
        '  "s",',
        ");",
        'const talk = new cfs.StreamDownload("talk", {',
        '  accountId: "023e105f4ecef8ad9ca31a8372d0c353",',
        '  identifier: "ea95132c15732412d22c1476fa83f27a",',
        "  downloadTypes: [cfs.DownloadType.Default],",
        "});",
        "const status: pulumi.Output<string | undefined> = talk.default.apply((d) => d?.status);",
        "pulumi.all([talk.id, status]).apply(([id, s]) => console.log(JSON.stringify({ id, status: s })));",
        "",
      ].join("\n"),
    );
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, module: "commonjs", target: "ES2020", types: ["node"], outDir: "bin" },
        files: ["index.ts"],
      }),
    );
    runPrinted(process.execPath, [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", "."], {
      cwd: dir,
      show: "tsc -p .   (a program importing pulumi-cloudflare-stream)",
    });
    const out = runPrinted(process.execPath, [path.join(dir, "bin", "index.js")], {
      cwd: dir,
      show: "node bin/index.js",
    });
    assert.deepEqual(JSON.parse(out.trim().split("\n").pop() ?? ""), {
      id: "023e105f4ecef8ad9ca31a8372d0c353/ea95132c15732412d22c1476fa83f27a",
      status: "ready",
    });
  });

  it("Go: the module path derives from package.json's repository, and the docs' example needs no replace directive", () => {
    const repo = (JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { repository: { url: string } })
      .repository.url;
    const github = /github\.com\/[^/]+\/[^/.]+/.exec(repo)?.[0];
    assert.ok(github, repo);
    const module = `${github}/sdk/go`;
    assert.equal(built.go.module, module);
    assert.equal(built.go.tag, `sdk/go/v${VERSION}`);
    const schema = JSON.parse(readFileSync(path.join(REPO, "schema.json"), "utf8")) as {
      language: { go: { importBasePath: string } };
    };
    assert.equal(schema.language.go.importBasePath, `${module}/cloudflarestream`);
    assert.match(
      readFileSync(path.join(REPO, "tests", "programs", "go-sdk", "main.go"), "utf8"),
      new RegExp(`"${module}/cloudflarestream"`),
    );
    // The Registry pages say how to install and use it; the README links to them.
    const install = readFileSync(path.join(REPO, "docs", "installation-configuration.md"), "utf8");
    const overview = readFileSync(path.join(REPO, "docs", "_index.md"), "utf8");
    assert.ok(install.includes(`go get ${module}@v${VERSION}`), "the install page says how to go get the module");
    const goBlocks = [...overview.matchAll(/```go\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    assert.ok(
      goBlocks.some((b) => b.includes(`"${module}/cloudflarestream"`)),
      "the overview's Go example imports the module",
    );
    for (const [name, text] of <[string, string][]>[
      ["README.md", readFileSync(path.join(REPO, "README.md"), "utf8")],
      ["docs/installation-configuration.md", install],
      ["docs/_index.md", overview],
    ]) {
      assert.ok(!/^replace\s/m.test(text) && !/\breplace directive/.test(text), `no replace directive in ${name}`);
    }
  });
});
