/**
 * docs/ (the Pulumi Registry's layout) names only what schema.json has: every property, enum value,
 * configuration key and environment variable it mentions, in its tables and in each language's example.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { REPO } from "../../scripts/engine";

interface Schema {
  config: { variables: Record<string, { defaultInfo?: { environment?: string[] } }> };
  resources: Record<string, { properties: Record<string, unknown>; inputProperties: Record<string, unknown> }>;
  types: Record<string, { enum?: { name?: string; value: string }[]; properties?: Record<string, unknown> }>;
}

const schema = JSON.parse(readFileSync(path.join(REPO, "schema.json"), "utf8")) as Schema;
const resource = schema.resources["cloudflare-stream:index:StreamDownload"];
const downloadInfo = schema.types["cloudflare-stream:index:DownloadInfo"];
const downloadType = schema.types["cloudflare-stream:index:DownloadType"];
const DOCS = ["docs/_index.md", "docs/installation-configuration.md"];

const camel = new Set([...Object.keys(resource?.properties ?? {}), ...Object.keys(resource?.inputProperties ?? {})]);
const nested = new Set(Object.keys(downloadInfo?.properties ?? {}));
const enumValues = new Set((downloadType?.enum ?? []).map((e) => e.value));
const configKeys = new Set(Object.keys(schema.config.variables));
const envVars = new Set(Object.values(schema.config.variables).flatMap((v) => v.defaultInfo?.environment ?? []));
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The fenced code blocks of a markdown text, with their language. */
function codeBlocks(markdown: string): { lang: string; code: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? "", code: m[2] ?? "" }));
}

/** The body of the first `open ... }` or `open ... )` after `start`, balanced. */
function argsAfter(code: string, start: RegExp, open: string, close: string): string {
  const at = code.search(start);
  if (at < 0) return "";
  let depth = 0;
  const from = code.indexOf(open, at);
  for (let i = from; i < code.length; i++) {
    if (code[i] === open) depth++;
    else if (code[i] === close && --depth === 0) return code.slice(from + 1, i);
  }
  return code.slice(from + 1);
}

/** Every name a doc uses that schema.json does not have, as "<what> <name>". */
export function unknownNames(markdown: string): string[] {
  const bad: string[] = [];
  const want = (ok: boolean, what: string) => {
    if (!ok) bad.push(what);
  };
  for (const m of markdown.matchAll(/cloudflare-stream:(?!index:)(\w+)/g)) {
    want(configKeys.has(m[1] ?? ""), `config key ${m[1]}`);
  }
  for (const m of markdown.matchAll(/\b(?:CLOUDFLARE|STREAM_DOWNLOAD)_[A-Z0-9_]+\b/g)) {
    want(envVars.has(m[0]), `environment variable ${m[0]}`);
  }
  // Table rows of properties: | `name` | ...
  for (const m of markdown.matchAll(/^\| `(\w+)` +\|/gm)) {
    want(camel.has(m[1] ?? "") || nested.has(m[1] ?? ""), `property ${m[1]}`);
  }
  for (const { lang, code } of codeBlocks(markdown)) {
    if (lang === "ts") {
      for (const m of argsAfter(code, /new \w+(\.\w+)?\("/, "{", "}").matchAll(/(\w+):/g)) {
        want(camel.has(m[1] ?? ""), `TypeScript property ${m[1]}`);
      }
      for (const m of code.matchAll(/DownloadType\.(\w+)/g)) {
        want(enumValues.has((m[1] ?? "").toLowerCase()), `TypeScript enum ${m[1]}`);
      }
      for (const list of code.matchAll(/downloadTypes: \[([^\]]*)\]/g)) {
        for (const m of (list[1] ?? "").matchAll(/"(\w+)"/g)) {
          want(enumValues.has(m[1] ?? ""), `TypeScript download type "${m[1]}"`);
        }
      }
    } else if (lang === "python") {
      for (const m of argsAfter(code, /StreamDownload\(/, "(", ")").matchAll(/(\w+)=/g)) {
        want(
          [...camel].some((p) => snake(p) === m[1]),
          `Python property ${m[1]}`,
        );
      }
      for (const m of code.matchAll(/DownloadType\.(\w+)/g)) {
        want(enumValues.has((m[1] ?? "").toLowerCase()), `Python enum ${m[1]}`);
      }
    } else if (lang === "go") {
      for (const m of argsAfter(code, /StreamDownloadArgs\{/, "{", "}").matchAll(/^\s*(\w+):/gm)) {
        want(
          [...camel].some((p) => pascal(p) === m[1]),
          `Go property ${m[1]}`,
        );
      }
      for (const m of code.matchAll(/\bDownloadType(?!Array)([A-Z]\w*)/g)) {
        want(enumValues.has((m[1] ?? "").toLowerCase()), `Go enum DownloadType${m[1]}`);
      }
      for (const m of code.matchAll(/\.(Default|Audio)\(?\)?\.(\w+)\(\)/g)) {
        want(
          [...nested].some((p) => pascal(p) === m[2]),
          `Go output ${m[1]}.${m[2]}`,
        );
      }
    } else if (lang === "yaml") {
      const props = /^( +)properties:\n((?:\1 +.*\n)*)/m.exec(code);
      for (const m of (props?.[2] ?? "").matchAll(/^ {6}(\w+):/gm)) {
        want(camel.has(m[1] ?? ""), `YAML property ${m[1]}`);
      }
      for (const m of (props?.[2] ?? "").matchAll(/^ +- (\w+)$/gm)) {
        want(enumValues.has(m[1] ?? ""), `YAML download type ${m[1]}`);
      }
    }
    // Outputs read as talk.default.url, d.url and the like.
    for (const m of code.matchAll(/\btalk\.(\w+)(?:\.(\w+))?/g)) {
      if (lang === "go") continue;
      want(camel.has(m[1] ?? "") || m[1] === "id", `output ${m[1]}`);
      if (m[2] && !["apply"].includes(m[2])) want(nested.has(m[2]), `output ${m[1]}.${m[2]}`);
    }
  }
  return bad;
}

describe("docs/ names only what schema.json has", () => {
  for (const file of DOCS) {
    it(`${file}: every property, enum value, config key and environment variable is in schema.json`, () => {
      const text = readFileSync(path.join(REPO, file), "utf8");
      assert.deepEqual(unknownNames(text), []);
    });
  }

  it("docs/_index.md has an example in each language: TypeScript (SDK and dynamic), Python, Go and YAML", () => {
    const blocks = codeBlocks(readFileSync(path.join(REPO, "docs/_index.md"), "utf8"));
    assert.deepEqual(
      ["ts", "python", "go", "yaml"].map(
        (lang) => blocks.filter((b) => b.lang === lang && /StreamDownload/.test(b.code)).length,
      ),
      [2, 1, 1, 1],
    );
  });

  it("docs/installation-configuration.md has a row for every configuration key and environment variable", () => {
    const text = readFileSync(path.join(REPO, "docs/installation-configuration.md"), "utf8");
    for (const key of configKeys) assert.match(text, new RegExp(`^\\| \`cloudflare-stream:${key}\``, "m"), key);
    for (const env of envVars) assert.ok(text.includes(`\`${env}\``), env);
  });

  it("notices a name schema.json lacks, in each form", () => {
    const wrong = [
      "| `apiTokn` | x |",
      "set `cloudflare-stream:apiTokn` and `CLOUDFLARE_API_TOKN`",
      '```ts\nnew cfs.StreamDownload("t", { acountId: "x", downloadTypes: [cfs.DownloadType.Video] });\n```',
      '```ts\nnew StreamDownload("t", { downloadTypes: ["video"] });\n```',
      '```python\ncfs.StreamDownload("t", acount_id="x")\n```',
      '```go\n&cloudflarestream.StreamDownloadArgs{\n\tAcountId: pulumi.String("x"),\n}\ncloudflarestream.DownloadTypeVideo\n```',
      "```yaml\n    properties:\n      acountId: x\n      downloadTypes:\n        - video\n```",
    ].join("\n\n");
    assert.deepEqual(unknownNames(wrong).sort(), [
      "Go enum DownloadTypeVideo",
      "Go property AcountId",
      "Python property acount_id",
      'TypeScript download type "video"',
      "TypeScript enum Video",
      "TypeScript property acountId",
      "YAML download type video",
      "YAML property acountId",
      "config key apiTokn",
      "environment variable CLOUDFLARE_API_TOKN",
      "property apiTokn",
    ]);
  });
});
