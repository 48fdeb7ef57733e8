/**
 * The names the project is published under, said once in package.json: the npm package (`name`), and in its
 * `pulumiProvider` block the GitHub repository, the Node.js SDK's npm package, the PyPI project and the Go
 * module path. `npm run gen-sdk` writes them into schema.json and the SDKs; the release, its workflow and the
 * tests read them from here; tests/release/names.test.ts fails when a doc or an SDK says otherwise.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

export interface ProjectNames {
  /** The npm package of the dynamic resource and the plugin's `bin`. */
  npm: string;
  /** "<owner>/<repo>" on GitHub: the releases the Pulumi CLI downloads the plugin from. */
  github: string;
  /** The Node.js SDK's npm package. */
  nodejsSdk: string;
  /** The Python SDK's PyPI project, also its import package. */
  pypiProject: string;
  /** The Go SDK's module path: the repository's folder sdk/go. */
  goModule: string;
  /** The plugin's download URL, as schema.json and the SDKs carry it. */
  pluginDownloadURL: string;
  /** package.json's version. */
  version: string;
}

/** The names of package.json in `repo`; throws, naming the field, when one is missing. */
export function projectNames(repo: string = path.resolve(__dirname, "..", "..")): ProjectNames {
  const pkg = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as {
    name?: string;
    version?: string;
    pulumiProvider?: Partial<Record<"github" | "nodejsSdk" | "pypiProject" | "goModule", string>>;
  };
  const block = pkg.pulumiProvider ?? {};
  const need = (field: keyof typeof block): string => {
    const value = block[field];
    if (!value) throw new Error(`package.json pulumiProvider.${field} is missing: the published names live there`);
    return value;
  };
  if (!pkg.name || !pkg.version) throw new Error("package.json has no name or version");
  const github = need("github");
  return {
    npm: pkg.name,
    github,
    nodejsSdk: need("nodejsSdk"),
    pypiProject: need("pypiProject"),
    goModule: need("goModule"),
    pluginDownloadURL: `github://api.github.com/${github}`,
    version: pkg.version,
  };
}
