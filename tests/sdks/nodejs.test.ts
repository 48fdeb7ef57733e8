/**
 * The Node.js SDK generated into sdk/nodejs under Pulumi's mocks, with mocha in a process of its own (setMocks
 * changes @pulumi/pulumi's global state): tests/sdks/nodejs/mocks.spec.ts.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { REPO, runPrinted } from "../helpers/sdks";

describe("the Node.js SDK under Pulumi's mocks (mocha)", function () {
  this.timeout(5 * 60 * 1000);

  it("sends the schema's input names, enum values, secrets and provider config, and types its outputs", () => {
    const spec = "tests/sdks/nodejs/mocks.spec.ts";
    const out = runPrinted(process.execPath, [path.join(REPO, "node_modules", "mocha", "bin", "mocha.js"), spec], {
      cwd: REPO,
      env: { ...process.env, CLOUDFLARE_STREAM_SDK: path.join(REPO, "sdk", "nodejs", "index.ts") },
      show: `mocha ${spec}`,
    });
    const passing = Number(/^\s+(\d+) passing/m.exec(out)?.[1] ?? 0);
    console.log(`      mocha: ${passing} passing`);
    assert.ok(passing >= 7, out);
    assert.doesNotMatch(out, /failing/, out);
  });
});
