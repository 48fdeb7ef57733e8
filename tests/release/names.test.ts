/**
 * The names the project is published under are said once, in package.json (scripts/release/names.ts), and
 * every other place derives them: package.json's own URLs, schema.json, the generated SDKs, and every doc and
 * example that names a package, a module or the repository.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { REPO } from "../../scripts/engine";
import { type ProjectNames, projectNames } from "../../scripts/release/names";

const names = projectNames(REPO);
const read = (file: string) => readFileSync(path.join(REPO, file), "utf8");
const json = (file: string) => JSON.parse(read(file)) as Record<string, unknown>;

/** Our names in a text: anything that names a cloudflare-stream package, module or repository. */
const OURS = /cloudflare[-_]stream/;

/** PyPI compares project names with runs of `-`, `_` and `.` as one `-`, in lower case (PEP 503). */
const pep503 = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** The package part of an npm specifier: `@scope/name` or `name`, without a path or an `@version`. */
function npmPackage(spec: string): string {
  const parts = spec.split("/");
  const pkg = spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? "");
  return pkg.replace(/(.)@.*$/, "$1");
}

/** Every place `text` names one of ours differently from package.json: `<what> "<found>"`, one a line. */
function wrongNames(text: string, n: ProjectNames): { found: number; wrong: string[] } {
  let found = 0;
  const wrong: string[] = [];
  const check = (ok: boolean, what: string) => {
    found++;
    if (!ok) wrong.push(what);
  };
  for (const m of text.matchAll(/github(?:\.com|:\/\/api\.github\.com)\/([\w.-]+)\/([\w.-]+)/g)) {
    const repo = `${m[1]}/${(m[2] ?? "").replace(/\.git$/, "")}`;
    if (OURS.test(repo)) check(repo === n.github, `the GitHub repository "${repo}"`);
  }
  // Installs: npm/yarn/pnpm and pip lines, each of their arguments that is ours (not a URL or a path).
  for (const m of text.matchAll(/\b(?:npm (?:install|i|add)|yarn add|pnpm add|pip3? install)\b([^\n`]*)/g)) {
    const pip = m[0].startsWith("pip");
    for (const arg of (m[1] ?? "").trim().split(/\s+/)) {
      if (!OURS.test(arg) || arg.startsWith("-") || /[:/]/.test(arg.replace(/^@[\w.-]+\//, ""))) continue;
      if (pip) check(pep503(arg.replace(/[<>=!~].*$/, "")) === pep503(n.pypiProject), `pip install "${arg}"`);
      else check([n.npm, n.nodejsSdk].includes(npmPackage(arg)), `npm install "${arg}"`);
    }
  }
  // Files named after a package: wheels and sdists (PyPI's normalised name), npm tarballs.
  for (const m of text.matchAll(/([\w.-]*cloudflare[-_]stream[\w.-]*?)-v?\d+\.\d+\.\d+[\w.-]*?\.(whl|tgz)\b/g)) {
    const base = m[1] ?? "";
    if (m[2] === "whl") check(base === n.pypiProject.replace(/[-.]/g, "_"), `the wheel "${m[0]}"`);
    else check(base === n.nodejsSdk.replace(/^@/, "").replace("/", "-") || base === n.npm, `the tarball "${m[0]}"`);
  }
  // Imports of the JavaScript and Python packages.
  for (const m of text.matchAll(/(?:require\(|\bfrom |\bimport )["']((?:@[\w.-]+\/)?[\w.-]+)[^"']*["']/g)) {
    const pkg = m[1] ?? "";
    if (OURS.test(pkg)) check([n.npm, n.nodejsSdk].includes(pkg), `the npm import "${pkg}"`);
  }
  for (const m of text.matchAll(/^\s*(?:import|from) ([\w.]+)/gm)) {
    const mod = (m[1] ?? "").split(".")[0] ?? "";
    if (OURS.test(mod)) check(mod === n.pypiProject, `the Python import "${mod}"`);
  }
  for (const m of text.matchAll(/\bgo get ([^\s`]+)/g)) {
    const arg = m[1] ?? "";
    if (OURS.test(arg)) check(arg.replace(/@.*$/, "") === n.goModule, `go get "${arg}"`);
  }
  return { found, wrong };
}

describe("release: the published names are said once, in package.json", () => {
  it("package.json's repository, homepage and bugs URLs are the pulumiProvider.github repository", () => {
    const web = `https://github.com/${names.github}`;
    const pkg = json("package.json") as { repository: { url: string }; homepage: string; bugs: { url: string } };
    assert.deepEqual(
      [pkg.repository.url, pkg.homepage, pkg.bugs.url],
      [`git+${web}.git`, `${web}#readme`, `${web}/issues`],
    );
    assert.equal(names.goModule, `github.com/${names.github}/sdk/go`, "Go resolves the module from the repository");
  });

  it("schema.json and every generated SDK carry them (run npm run gen-sdk when this fails)", () => {
    const schema = json("schema.json") as {
      pluginDownloadURL: string;
      language: { nodejs: { packageName: string }; python: { packageName: string }; go: { importBasePath: string } };
    };
    assert.deepEqual(
      [
        schema.pluginDownloadURL,
        schema.language.nodejs.packageName,
        schema.language.python.packageName,
        schema.language.go.importBasePath,
      ],
      [names.pluginDownloadURL, names.nodejsSdk, names.pypiProject, `${names.goModule}/cloudflarestream`],
    );
    assert.equal(json("sdk/nodejs/package.json").name, names.nodejsSdk, "sdk/nodejs/package.json");
    assert.match(read("sdk/python/setup.py"), new RegExp(`setup\\(name='${names.pypiProject}',`), "setup.py");
    assert.ok(existsSync(path.join(REPO, "sdk", "python", names.pypiProject, "__init__.py")), "the import package");
    assert.match(read("sdk/go/go.mod"), new RegExp(`^module ${names.goModule.replace(/[.]/g, "\\.")}$`, "m"));
  });

  it("every doc and example names them as package.json does", () => {
    const files = execFileSync("git", ["ls-files", "*.md", "examples", "tests/programs", "sdk/*/README.md"], {
      cwd: REPO,
      encoding: "utf8",
    })
      .trim()
      .split("\n")
      // The changelog is history: it may name what was true then.
      .filter(
        (f) => f !== "CHANGELOG.md" && /\.(md|ya?ml|txt|json|ts|py|go)$/.test(f) && existsSync(path.join(REPO, f)),
      );
    let found = 0;
    const wrong: string[] = [];
    for (const file of files) {
      const got = wrongNames(read(file), names);
      found += got.found;
      wrong.push(...got.wrong.map((w) => `${file}: ${w}`));
    }
    assert.deepEqual(wrong, [], "names that differ from package.json's");
    // The docs do name them: at least the repository and each install line of the install page.
    assert.ok(found >= 10, `found ${found} mentions`);
  });

  it("the check finds a wrong owner, npm package, PyPI project, wheel, import and Go module", () => {
    const text = [
      "see https://github.com/someone-else/pulumi-cloudflare-stream-download",
      "npm install pulumi-cloudflare-streams @pulumi/pulumi",
      "pip install pulumi-cloudflare-stream-x",
      "pip install ./pulumi_cloudflare_streamx-0.1.0-py3-none-any.whl",
      'import * as cfs from "pulumi-cloudflare-stream-sdk";',
      "import pulumi_cloudflare_streams",
      "go get github.com/cloudflare-stream-download/pulumi-cloudflare-stream/sdk/go@v0.1.0",
    ].join("\n");
    const got = wrongNames(text, names);
    assert.equal(got.wrong.length, 8, got.wrong.join("\n"));
    const right = [
      `https://github.com/${names.github}`,
      `npm install ${names.npm} ${names.nodejsSdk}@${names.version}`,
      `pip install ${names.pypiProject}==${names.version}`,
      `import ${names.pypiProject} as cfs`,
      `go get ${names.goModule}@v${names.version}`,
    ].join("\n");
    assert.deepEqual(wrongNames(right, names), { found: 7, wrong: [] }); // go get names the repository too
  });
});
