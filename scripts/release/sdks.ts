/**
 * The generated SDKs (sdk/, from `npm run gen-sdk`) packaged as each language installs them:
 * - Python: an sdist and a wheel, built with `python -m build` (pip installs the wheel);
 * - Node.js: an npm tarball with compiled JavaScript and type declarations (npm installs it);
 * - Go: nothing to build: Go fetches modules from their repository, at the module path of sdk/go/go.mod
 *   (derived from package.json's `repository`), tagged `sdk/go/v<version>`.
 *
 *   npx ts-node --transpile-only scripts/release/sdks.ts [out dir, default release/]
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { projectNames } from "./names";
import { makeVenv, PYTHON_TOOLS, run } from "./python";
import { type TarEntry, tarGz } from "./tar";
import { rewriteZip } from "./zip";

const REPO = path.resolve(__dirname, "..", "..");
const SDK = path.join(REPO, "sdk");

export interface SdkPackages {
  python: { wheel: string; sdist: string };
  nodejs: { tarball: string };
  go: { module: string; tag: string };
}

/** The version the SDKs in sdk/ were generated with; they must match the release's version. */
function checkVersion(version: string): void {
  const python = projectNames(REPO).pypiProject;
  const files: [string, string][] = [
    [
      "sdk/nodejs/package.json",
      (JSON.parse(readFileSync(path.join(SDK, "nodejs", "package.json"), "utf8")) as { version: string }).version,
    ],
    [
      `sdk/python/${python}/pulumi-plugin.json`,
      (JSON.parse(readFileSync(path.join(SDK, "python", python, "pulumi-plugin.json"), "utf8")) as { version: string })
        .version,
    ],
  ];
  for (const [file, got] of files) {
    if (got !== version) {
      throw new Error(
        `${file} has version ${got}, but the release is ${version}: set "version" in package.json and run npm run gen-sdk`,
      );
    }
  }
}

/** The Go module path of sdk/go (its go.mod's `module` line). */
export function goModulePath(): string {
  const gomod = readFileSync(path.join(SDK, "go", "go.mod"), "utf8");
  const module = /^module\s+(\S+)\s*$/m.exec(gomod)?.[1];
  if (!module) throw new Error("sdk/go/go.mod has no module line: run npm run gen-sdk");
  return module;
}

/** The wheel and the sdist of sdk/python, built in a copy (the build writes into its source folder). */
async function buildPython(outDir: string, work: string, mtime?: number): Promise<SdkPackages["python"]> {
  const src = path.join(work, "python");
  cpSync(path.join(SDK, "python"), src, { recursive: true, filter: (f) => !f.includes("__pycache__") });
  const venv = makeVenv(path.join(work, "build-venv"), PYTHON_TOOLS.build);
  const dist = path.join(work, "python-dist");
  // The wheel's and the sdist's entries carry SOURCE_DATE_EPOCH as their time (wheel and setuptools honour it).
  const env = mtime === undefined ? process.env : { ...process.env, SOURCE_DATE_EPOCH: String(mtime) };
  run(venv.python, ["-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", dist, src], { env });
  const files = readdirSync(dist);
  const wheel = files.find((f) => f.endsWith(".whl"));
  const sdist = files.find((f) => f.endsWith(".tar.gz"));
  if (!wheel || !sdist) throw new Error(`python -m build wrote ${files.join(", ")}: expected a .whl and a .tar.gz`);
  if (mtime === undefined) {
    cpSync(path.join(dist, wheel), path.join(outDir, wheel));
    cpSync(path.join(dist, sdist), path.join(outDir, sdist));
  } else {
    // Compressed again by pako: the bytes no longer depend on the zlib under the Python that built them.
    writeFileSync(path.join(outDir, wheel), rewriteZip(readFileSync(path.join(dist, wheel))));
    writeFileSync(path.join(outDir, sdist), await reproducibleSdist(path.join(dist, sdist), work, mtime));
  }
  return { wheel: path.join(outDir, wheel), sdist: path.join(outDir, sdist) };
}

/**
 * The sdist again, through the release's reproducible tar writer: setuptools gives its entries the files' own
 * times and its gzip header the time of the build, so two builds of one commit would differ.
 */
async function reproducibleSdist(file: string, work: string, mtime: number): Promise<Buffer> {
  const unpacked = mkdtempSync(path.join(work, "sdist-"));
  run("tar", ["-xzf", file, "-C", unpacked]);
  return tarGz(filesOf(unpacked, ""), mtime);
}

/** Every file under `dir` as tar entries named `<prefix><path>`, with their modes' executable bit. */
function filesOf(dir: string, prefix: string): TarEntry[] {
  const entries: TarEntry[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const name = prefix + path.relative(dir, full).split(path.sep).join("/");
        entries.push({ name, data: readFileSync(full), executable: (statSync(full).mode & 0o111) !== 0 });
      }
    }
  };
  walk(dir);
  return entries;
}

/** npm's name for a package's tarball: `<name>-<version>.tgz`, a scope's `@` dropped and its `/` a `-`. */
export function npmTarballName(name: string, version: string): string {
  return `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;
}

/**
 * The npm tarball of sdk/nodejs: compiled with the repository's TypeScript into JavaScript (CommonJS) and
 * declarations, next to the SDK's package.json with `main` and `types` pointing at them, in npm's layout (every
 * file under `package/`). Written by the release's tar writer rather than `npm pack`, whose bytes depend on
 * the npm that runs it (its tar and the Node.js zlib under it); `npm publish <tarball>` publishes it as it is.
 */
async function buildNodejs(outDir: string, work: string, mtime: number): Promise<SdkPackages["nodejs"]> {
  const src = path.join(work, "nodejs");
  cpSync(path.join(SDK, "nodejs"), src, { recursive: true });
  // The compiler resolves @pulumi/pulumi and @types/node from the repository's node_modules.
  symlinkSync(path.join(REPO, "node_modules"), path.join(src, "node_modules"), "dir");
  const out = path.join(src, "bin");
  run(
    process.execPath,
    [
      path.join(REPO, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      path.join(src, "tsconfig.json"),
      "--outDir",
      out,
      "--sourceMap",
      "false",
      "--declarationMap",
      "false",
    ],
    { cwd: src },
  );
  const generated = JSON.parse(readFileSync(path.join(src, "package.json"), "utf8")) as Record<string, unknown>;
  const repo = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as Record<string, unknown>;
  const pkg = {
    ...generated,
    main: "index.js",
    types: "index.d.ts",
    files: ["**/*.js", "**/*.d.ts", "README.md"],
    repository: repo.repository,
    homepage: repo.homepage,
    scripts: undefined,
    devDependencies: undefined,
  };
  writeFileSync(path.join(out, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  cpSync(path.join(src, "README.md"), path.join(out, "README.md"));
  const tarball = path.join(outDir, npmTarballName(String(generated.name), String(generated.version)));
  writeFileSync(tarball, await tarGz(filesOf(out, "package/"), mtime));
  return { tarball };
}

/**
 * Builds the SDK packages of `version` (which must be the version sdk/ was generated with) into `outDir`:
 * the Python sdist and wheel and the Node.js tarball; returns their paths and the Go module path and tag.
 */
export async function buildSdkPackages(opts: {
  outDir: string;
  version: string;
  /** The time (Unix seconds) the packages' files carry, so that a commit gives the same bytes (default: now). */
  mtime?: number;
}): Promise<SdkPackages> {
  checkVersion(opts.version);
  const outDir = path.resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), "sd-sdk-packages-"));
  try {
    const python = await buildPython(outDir, work, opts.mtime);
    // npm's own time for every entry of a tarball it packs (1985-10-26), when the release gives none.
    const nodejs = await buildNodejs(outDir, work, opts.mtime ?? 499162500);
    return { python, nodejs, go: { module: goModulePath(), tag: `sdk/go/v${opts.version}` } };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const outDir = process.argv[2] ?? path.join(REPO, "release");
  const version = (JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }).version;
  buildSdkPackages({ outDir, version }).then(
    (built) => {
      console.log(`Python wheel: ${built.python.wheel}`);
      console.log(`Python sdist: ${built.python.sdist}`);
      console.log(`Node.js tarball: ${built.nodejs.tarball}`);
      console.log(`Go: go get ${built.go.module}@v${version} (tag ${built.go.tag})`);
    },
    (error: Error) => {
      console.error(`sdks: ${error.message}`);
      process.exit(1);
    },
  );
}
