/**
 * The programs in examples/ compile against the package as built (dist/*.d.ts), the way a user's program
 * compiles against the installed package. Nothing is installed in the examples: the package name is mapped to
 * dist/, and @pulumi/* to the repository's node_modules.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { buildDist, REPO, tempDir } from "../helpers/pack";

const EXAMPLES = path.join(REPO, "examples");
const PACKAGE = "pulumi-cloudflare-stream-download";
const all = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
/**
 * The Node.js programs (examples/yaml and examples/python use the provider plugin; tests/engine/plugin.test.ts and
 * tests/sdks/engine-python.test.ts run them).
 */
const examples = all.filter((name) =>
  /^runtime: nodejs$/m.test(readFileSync(path.join(EXAMPLES, name, "Pulumi.yaml"), "utf8")),
);

/** Runs the repository's tsc on an example through a config that extends the example's own tsconfig.json. */
function typeCheck(example: string, configDir: string): { ok: boolean; output: string } {
  const modules = path.join(REPO, "node_modules");
  const config = path.join(configDir, `tsconfig.${example}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      extends: path.join(EXAMPLES, example, "tsconfig.json"),
      compilerOptions: {
        noEmit: true,
        skipLibCheck: true,
        typeRoots: [path.join(modules, "@types")],
        types: ["node"],
        paths: {
          [PACKAGE]: [path.join(REPO, "dist", "index.d.ts")],
          "@pulumi/pulumi": [path.join(modules, "@pulumi", "pulumi")],
          "@pulumi/pulumi/*": [path.join(modules, "@pulumi", "pulumi", "*")],
          "@pulumi/cloudflare": [path.join(modules, "@pulumi", "cloudflare")],
        },
      },
    }),
  );
  try {
    const output = execFileSync(process.execPath, [path.join(modules, "typescript", "bin", "tsc"), "-p", config], {
      cwd: path.join(EXAMPLES, example),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 3 * 60 * 1000,
    });
    return { ok: true, output };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` || e.message };
  }
}

describe("examples", function () {
  this.timeout(5 * 60 * 1000);
  let configDir: string;

  before(() => {
    buildDist();
    configDir = tempDir("sd-examples-");
  });

  it("include the basic and upload-and-download Node.js programs, a Python and a YAML program", () => {
    assert.deepEqual(examples, ["basic", "upload-and-download"]);
    assert.deepEqual(all, ["basic", "python", "upload-and-download", "yaml"]);
  });

  for (const example of examples) {
    describe(example, () => {
      const dir = path.join(EXAMPLES, example);

      it("is a complete Pulumi program that depends on this package from the repository", () => {
        for (const file of ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "README.md"]) {
          assert.ok(existsSync(path.join(dir, file)), `${example}/${file} is missing`);
        }
        assert.match(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"), /^runtime: nodejs$/m);
        const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
          dependencies?: Record<string, string>;
        };
        assert.equal(pkg.dependencies?.[PACKAGE], "file:../..");
        assert.ok(pkg.dependencies?.["@pulumi/pulumi"], `${example} depends on @pulumi/pulumi`);
      });

      it("imports the package by its name, never the repository's files", () => {
        for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
          const source = readFileSync(path.join(dir, file), "utf8");
          const specifiers = [...source.matchAll(/\bfrom\s+"([^"]+)"|\brequire\(\s*"([^"]+)"\s*\)/g)].map(
            (m) => m[1] ?? m[2] ?? "",
          );
          const escaping = specifiers.filter((s) => s.startsWith("..") || s.startsWith(`${PACKAGE}/`));
          assert.deepEqual(escaping, [], `${example}/${file} should import only "${PACKAGE}" and its own files`);
        }
      });

      it("type-checks against the built package", () => {
        const { ok, output } = typeCheck(example, configDir);
        assert.ok(ok, `tsc found errors in examples/${example}:\n${output}`);
      });
    });
  }
});
