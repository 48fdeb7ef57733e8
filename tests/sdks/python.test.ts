/**
 * The Python SDK as users install it (its wheel, with pulumi from PyPI at the pinned version, in a fresh virtual
 * environment) under Pulumi's mocks, with pytest: tests/sdks/python/test_sdk.py.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { makeVenv, PYTHON_TOOLS, pythonPulumiVersion } from "../../scripts/release/python";
import { REPO, runPrinted, sdkPackages, tempDir } from "../helpers/sdks";

describe("the Python SDK under Pulumi's mocks (pytest)", function () {
  this.timeout(15 * 60 * 1000);

  it("sends the schema's input names, enum values, secrets and provider config, and types its outputs", async () => {
    const { python } = await sdkPackages();
    const venv = makeVenv(
      path.join(tempDir("sd-py-mocks-"), "venv"),
      [`pulumi==${pythonPulumiVersion()}`, ...PYTHON_TOOLS.pytest],
      [python.wheel],
    );
    const out = runPrinted(venv.python, ["-m", "pytest", "-v", "-p", "no:cacheprovider", "tests/sdks/python"], {
      cwd: REPO,
      env: { ...process.env, STREAM_DOWNLOAD_SCHEMA: path.join(REPO, "schema.json"), PYTHONDONTWRITEBYTECODE: "1" },
      show: `<venv>/bin/python -m pytest -v -p no:cacheprovider tests/sdks/python`,
    });
    const summary = /=+ (\d+) passed[^=]* in [\d.]+s =+/.exec(out);
    assert.ok(summary, out);
    console.log(`      pytest: ${summary[1]} passed`);
    assert.doesNotMatch(out, /failed|error/i, out);
  });
});
