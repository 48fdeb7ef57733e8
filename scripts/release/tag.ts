/**
 * What a release tag stands for, checked before anything is built: the tag `v<version>` must be package.json's
 * version, and the SDKs in sdk/ and examples/yaml must have been generated for it (`npm run gen-sdk`). Prints,
 * for the release workflow's later jobs, the version and the names of the files each registry gets:
 *
 *   npx ts-node --transpile-only scripts/release/tag.ts v0.2.0   # version=0.2.0, nodejsTarball=..., ...
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { projectNames } from "./names";
import { npmTarballName } from "./sdks";

export interface ReleaseTag {
  version: string;
  /** The npm packages: the package, and the Node.js SDK. */
  npm: string;
  nodejsSdk: string;
  /** The Node.js SDK's npm tarball in release/. */
  nodejsTarball: string;
  /** The Python SDK's wheel and sdist in release/. */
  wheel: string;
  sdist: string;
  /** The Go SDK's tag. */
  goTag: string;
}

/** The release of `tag` in `repo`; throws, saying what to do, when the tag and the checkout disagree. */
export function releaseTag(tag: string, repo: string = path.resolve(__dirname, "..", "..")): ReleaseTag {
  const names = projectNames(repo);
  const version = /^v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(tag)?.[1];
  if (!version) throw new Error(`the tag "${tag}" is not v<major>.<minor>.<patch>: tag releases as v${names.version}`);
  if (version !== names.version) {
    throw new Error(
      `the tag "${tag}" is not package.json's version ${names.version}: set "version" in package.json to ${version}, run npm run gen-sdk, commit, and tag that commit`,
    );
  }
  const versionIn = (file: string, read: (text: string) => string | undefined) => {
    const got = read(readFileSync(path.join(repo, file), "utf8"));
    if (got !== version) {
      throw new Error(`${file} says version ${got ?? "(none)"}, not ${version}: run npm run gen-sdk and commit`);
    }
  };
  const jsonVersion = (text: string) => (JSON.parse(text) as { version?: string }).version;
  versionIn("sdk/nodejs/package.json", jsonVersion);
  versionIn(`sdk/python/${names.pypiProject}/pulumi-plugin.json`, jsonVersion);
  versionIn("sdk/go/cloudflarestream/pulumi-plugin.json", jsonVersion);
  versionIn("examples/yaml/Pulumi.yaml", (text) => /^ +version: (\S+)$/m.exec(text)?.[1]);
  const python = names.pypiProject.replace(/[-.]/g, "_");
  return {
    version,
    npm: names.npm,
    nodejsSdk: names.nodejsSdk,
    nodejsTarball: npmTarballName(names.nodejsSdk, version),
    wheel: `${python}-${version}-py3-none-any.whl`,
    sdist: `${python}-${version}.tar.gz`,
    goTag: `sdk/go/v${version}`,
  };
}

if (require.main === module) {
  try {
    const release = releaseTag(process.argv[2] ?? "");
    for (const [key, value] of Object.entries(release)) console.log(`${key}=${value}`);
  } catch (error) {
    console.error(`tag: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
