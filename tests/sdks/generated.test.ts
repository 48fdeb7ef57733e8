/**
 * The SDKs in sdk/ are generated from schema.json by `npm run gen-sdk` (scripts/gen-sdk): they must be current,
 * and must build in their language.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REPO } from "../helpers/engine";

const SDK = path.join(REPO, "sdk");
const GO_ENV: NodeJS.ProcessEnv = { ...process.env, GOWORK: "off", CGO_ENABLED: "0" };

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.parentPath.includes("__pycache__"))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

function run(cmd: string, args: string[], cwd: string, env = GO_ENV): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 10 * 60 * 1000,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
}

describe("the generated SDKs", function () {
  this.timeout(10 * 60 * 1000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), "sd-sdk-"));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("are exactly what npm run gen-sdk makes of schema.json and the package version (run it after changing either)", () => {
    const out = path.join(tmp, "generated");
    run(
      "go",
      ["run", "-trimpath", ".", path.join(REPO, "schema.json"), path.join(REPO, "package.json"), out],
      path.join(REPO, "scripts", "gen-sdk"),
      {
        ...GO_ENV,
        GOFLAGS: "-mod=readonly",
      },
    );
    const languages = ["go", "nodejs", "python"];
    assert.deepEqual(readdirSync(SDK).sort(), languages);
    for (const lang of languages) {
      const files = filesUnder(path.join(out, lang));
      assert.deepEqual(filesUnder(path.join(SDK, lang)), files, `sdk/${lang} has other files: run npm run gen-sdk`);
      for (const file of files) {
        assert.equal(
          readFileSync(path.join(SDK, lang, file), "utf8"),
          readFileSync(path.join(out, lang, file), "utf8"),
          `sdk/${lang}/${file} is stale: run npm run gen-sdk`,
        );
      }
    }
  });

  it("Go: compiles against github.com/pulumi/pulumi/sdk/v3 at the version in sdk/go/go.mod", () => {
    const dir = path.join(tmp, "go");
    cpSync(path.join(SDK, "go"), dir, { recursive: true });
    assert.match(
      readFileSync(path.join(dir, "go.mod"), "utf8"),
      /require github\.com\/pulumi\/pulumi\/sdk\/v3 v3\.276\.0/,
    );
    run("go", ["mod", "tidy"], dir, { ...GO_ENV, GOFLAGS: "-mod=mod" });
    run("go", ["build", "-trimpath", "./..."], dir);
  });

  it("Python: every module is valid Python and the package carries the plugin's name, version and download URL", () => {
    const dir = path.join(tmp, "python");
    cpSync(path.join(SDK, "python"), dir, { recursive: true });
    run("python3", ["-m", "compileall", "-q", "."], dir, process.env);
    const plugin = JSON.parse(readFileSync(path.join(dir, "pulumi_cloudflare_stream", "pulumi-plugin.json"), "utf8"));
    const version = (JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }).version;
    const server = (JSON.parse(readFileSync(path.join(REPO, "schema.json"), "utf8")) as { pluginDownloadURL: string })
      .pluginDownloadURL;
    assert.deepEqual(plugin, { resource: true, name: "cloudflare-stream", version, server });
  });
});
