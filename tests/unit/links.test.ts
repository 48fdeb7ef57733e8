/**
 * The documentation holds together: every relative link and anchor in the README, CONTRIBUTING and docs/ resolves
 * (a file that exists, a heading that is there, as GitHub names its anchors), and every guide that a message or
 * comment in src/ names exists.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { REPO } from "../../scripts/engine";

const DOCUMENTS = [
  "README.md",
  "CONTRIBUTING.md",
  ...readdirSync(path.join(REPO, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```$/gm, "").replace(/`[^`\n]*`/g, "``");
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens; repeats get -1, -2, .... */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const headings = markdown.replace(/^```[\s\S]*?^```$/gm, "").matchAll(/^#{1,6} +(.+?) *#*$/gm);
  for (const [, text = ""] of headings) {
    const base = text
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{Pc}\- ]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Every relative link of a document that does not resolve, as "<target>: <why>". */
export function brokenLinks(file: string, markdown: string, read: (file: string) => string | undefined): string[] {
  const broken: string[] = [];
  for (const [, target = ""] of prose(markdown).matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: and the like
    const [rel = "", anchor] = target.split("#");
    const dest = rel === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), rel));
    const text = read(dest);
    if (text === undefined) {
      broken.push(`${target}: no ${dest}`);
    } else if (anchor !== undefined && !anchors(text).has(anchor)) {
      broken.push(`${target}: no heading #${anchor} in ${dest}`);
    }
  }
  return broken;
}

/** A file's text; a folder reads as empty (it exists, and has no headings); undefined when there is neither. */
function readRepo(file: string): string | undefined {
  const full = path.join(REPO, file);
  if (!existsSync(full)) return undefined;
  return statSync(full).isDirectory() ? "" : readFileSync(full, "utf8");
}

function sources(dir: string): string[] {
  return readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(`${dir}/${e.name}`) : e.name.endsWith(".ts") ? [`${dir}/${e.name}`] : [],
  );
}

describe("links in the README, CONTRIBUTING and docs/", () => {
  for (const file of DOCUMENTS) {
    it(`${file}: every relative link and anchor resolves`, () => {
      assert.deepEqual(brokenLinks(file, readFileSync(path.join(REPO, file), "utf8"), readRepo), []);
    });
  }

  it("every guide in docs/ that src/ names exists", () => {
    const named = sources("src").flatMap((file) =>
      [...readFileSync(path.join(REPO, file), "utf8").matchAll(/\bdocs\/[\w-]+\.md\b/g)].map((m) => `${file}: ${m[0]}`),
    );
    assert.ok(named.length > 0, "src/ names guides");
    assert.deepEqual(
      named.filter((n) => !existsSync(path.join(REPO, n.split(": ")[1] ?? ""))),
      [],
    );
  });

  it("names GitHub's anchors, and notices a missing file or heading", () => {
    const files: Record<string, string> = {
      "docs/a.md": "# Switching from `cloudflare.StreamDownload`\n## 4. Test it offline\n## Same\n## Same\n",
      "README.md": "```sh\n# not a heading\n```\n",
    };
    assert.deepEqual(
      [...anchors(files["docs/a.md"] ?? "")],
      ["switching-from-cloudflarestreamdownload", "4-test-it-offline", "same", "same-1"],
    );
    const readme = [
      "[ok](docs/a.md#4-test-it-offline) [ok](docs/a.md#same-1) [web](https://example.com/x#y)",
      "[gone](docs/b.md) [no heading](docs/a.md#not-a-heading) [here](#not-a-heading)",
      "`[code](docs/c.md)`",
      "```\n[fenced](docs/d.md)\n```",
    ].join("\n");
    assert.deepEqual(
      brokenLinks("README.md", readme, (f) => files[f]),
      [
        "docs/b.md: no docs/b.md",
        "docs/a.md#not-a-heading: no heading #not-a-heading in docs/a.md",
        "#not-a-heading: no heading #not-a-heading in README.md",
      ],
    );
  });
});
