/**
 * The Go SDK under Pulumi's mocks, with `go test`: tests/sdks/go (a module that requires the SDK by its module
 * path and points it at this checkout's sdk/go).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { REPO, runPrinted } from "../helpers/sdks";

describe("the Go SDK under Pulumi's mocks (go test)", function () {
  this.timeout(15 * 60 * 1000);

  it("sends the schema's input names, enum values, secrets and provider config, and types its outputs", () => {
    const dir = path.join(REPO, "tests", "sdks", "go");
    // -trimpath as the other Go tests, so that they share the build cache; go.sum is kept with `go mod tidy`.
    const env = { ...process.env, GOWORK: "off", CGO_ENABLED: "0", GOFLAGS: "-trimpath" };
    const out = runPrinted("go", ["test", "-count=1", "-v", "./..."], { cwd: dir, env });
    const passed = out.match(/^--- PASS: /gm)?.length ?? 0;
    console.log(`      go test: ${passed} passed`);
    assert.ok(passed >= 8, out);
    assert.doesNotMatch(out, /^--- FAIL/m, out);
  });
});
