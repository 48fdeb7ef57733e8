/**
 * A real Node.js older than package.json's `engines` allow, for the tests of what happens on one: the machine's
 * own when it is one, else Node.js 20 installed once by scripts/node.sh.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { REPO } from "../../scripts/engine";
import { minimumNodeMajor } from "../../scripts/release/plugin";

function isOlder(node: string): boolean {
  const run = spawnSync(node, ["--version"], { encoding: "utf8" });
  return run.status === 0 && Number(/^v(\d+)/.exec(run.stdout)?.[1]) < minimumNodeMajor(REPO);
}

/** The path of a `node` executable older than the oldest Node.js this project supports. */
export function olderNode(): string {
  const found = ["/usr/bin/node", "/usr/local/bin/node", "/bin/node"].find(isOlder);
  if (found) return found;
  const dir = execFileSync("bash", [path.join(REPO, "scripts", "node.sh"), "20"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .pop();
  const node = path.join(dir ?? "", "node");
  if (!isOlder(node)) throw new Error(`${node} should be older than Node.js ${minimumNodeMajor(REPO)}`);
  return node;
}
