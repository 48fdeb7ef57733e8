/**
 * What a StreamDownload records in state and reads back from it: its id, an import's prior state, its inputs, the
 * output of each download, and which types it manages.
 */
import assert from "node:assert/strict";
import { StreamDownloadError } from "../../src/core/errors";
import { importedProps, inputsOf, managedTypes, missingTypes, outputsOf, resourceId } from "../../src/core/state";
import type { StreamDownloadInputs, StreamDownloadOutputs } from "../../src/core/types";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const VIDEO = "fedcba9876543210fedcba9876543210";
const URL = `https://customer-x.cloudflarestream.com/${VIDEO}/downloads/default.mp4`;

const INPUTS: StreamDownloadInputs = {
  accountId: ACCOUNT,
  identifier: VIDEO,
  downloadTypes: ["default", "audio"],
  waitForReady: false,
  readyTimeoutSeconds: 60,
};

describe("the state of a StreamDownload", () => {
  it("is identified by <accountId>/<identifier>", () => {
    assert.equal(resourceId(INPUTS), `${ACCOUNT}/${VIDEO}`);
  });

  it("imports <accountId>/<videoUid> as a resource that manages nothing yet, with the default settings", () => {
    assert.deepEqual(importedProps(`${ACCOUNT}/${VIDEO}`), {
      accountId: ACCOUNT,
      identifier: VIDEO,
      downloadTypes: [],
      waitForReady: true,
      readyTimeoutSeconds: 1800,
    });
  });

  it("refuses to import any other id, saying what it must be", () => {
    const bad = [
      "",
      ACCOUNT,
      `${ACCOUNT}/`,
      `/${VIDEO}`,
      `${ACCOUNT}/${VIDEO}/default`,
      `${ACCOUNT.toUpperCase()}/${VIDEO}`,
      `${ACCOUNT}/${VIDEO.slice(1)}`,
    ];
    for (const id of bad) {
      assert.throws(
        () => importedProps(id),
        (error: unknown) =>
          error instanceof StreamDownloadError &&
          error.message ===
            `Cannot import StreamDownload "${id}": the id must be <accountId>/<videoUid>, two Cloudflare ids of 32 ` +
              `lowercase hexadecimal characters joined by "/".`,
        id,
      );
    }
  });

  it("keeps only the inputs of inputs or outputs", () => {
    const outputs: StreamDownloadOutputs = {
      ...INPUTS,
      default: { status: "ready", percentComplete: 100, url: URL },
      requireSignedURLs: true,
    };
    assert.deepEqual(inputsOf(outputs), INPUTS);
  });

  it("records the inputs and the live state of each type asked for that the list shows, and the signed-URL flag", () => {
    const live = {
      default: { status: "inprogress", percentComplete: 40 },
      audio: { status: "ready", url: URL },
    };
    assert.deepEqual(outputsOf(INPUTS, live, ["default"], undefined), {
      ...INPUTS,
      default: { status: "inprogress", percentComplete: 40, url: "" },
    });
    assert.deepEqual(outputsOf(INPUTS, { audio: live.audio }, ["default", "audio"], false), {
      ...INPUTS,
      audio: { status: "ready", percentComplete: 100, url: URL },
      requireSignedURLs: false,
    });
  });

  it("keeps the URL recorded before when the list leaves it out", () => {
    const prior: StreamDownloadOutputs = {
      ...INPUTS,
      default: { status: "inprogress", percentComplete: 10, url: URL },
    };
    assert.deepEqual(outputsOf(INPUTS, { default: { status: "ready" } }, ["default"], true, prior), {
      ...INPUTS,
      default: { status: "ready", percentComplete: 100, url: URL },
      requireSignedURLs: true,
    });
  });

  it("manages the types asked for and any it recorded output for, in the table's order", () => {
    const info = { status: "ready", percentComplete: 100, url: URL };
    assert.deepEqual(managedTypes({ ...INPUTS, downloadTypes: ["audio", "default"] }), ["default", "audio"]);
    assert.deepEqual(managedTypes({ ...INPUTS, downloadTypes: ["default"], audio: info }), ["default", "audio"]);
    assert.deepEqual(managedTypes({ ...INPUTS, downloadTypes: [] }), []);
    const unreadable = { ...INPUTS, downloadTypes: "default", audio: info } as unknown as StreamDownloadOutputs;
    assert.deepEqual(managedTypes(unreadable), ["audio"], "a downloadTypes that is no list asks for nothing");
  });

  it("calls a wanted type missing when state has no output for it or it failed", () => {
    const olds: StreamDownloadOutputs = {
      ...INPUTS,
      default: { status: "error", percentComplete: 10, url: "" },
      audio: { status: "inprogress", percentComplete: 10, url: "" },
    };
    assert.deepEqual(missingTypes(olds, ["default", "audio"]), ["default"]);
    assert.deepEqual(missingTypes({ ...INPUTS }, ["audio"]), ["audio"]);
    assert.deepEqual(missingTypes(olds, []), []);
  });
});
