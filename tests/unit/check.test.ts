/**
 * The check of a StreamDownload's inputs, as a pure function: the defaults it fills, and the exact words of each
 * failure (the behaviour tier runs the same check through both faces; here every branch and message is pinned).
 */
import assert from "node:assert/strict";
import { checkInputs, CLOUDFLARE_ID } from "../../src/core/check";
import { SECRET_SIG, SECRET_VALUE_SIG, UNKNOWN } from "../../src/core/pulumi-values";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const VIDEO = "fedcba9876543210fedcba9876543210";
const ID_RULE = (property: string, what: string) =>
  `${property} must be a Cloudflare ${what}: 32 lowercase hexadecimal characters`;
const NOT_SHOWN = "the value given (not shown: it may be a secret)";

const wrapped = (value: unknown) => ({ [SECRET_SIG]: SECRET_VALUE_SIG, value });

/** The failures of `news` (with a valid account and video unless given), as property -> reason. */
function reasons(news: Record<string, unknown>, hidden?: ReadonlySet<string>): Record<string, string> {
  const { failures } = checkInputs({ accountId: ACCOUNT, identifier: VIDEO, ...news }, hidden);
  return Object.fromEntries(failures.map((f) => [f.property, f.reason]));
}

describe("checkInputs", () => {
  it("fills every default, keeps what it was given, and finds nothing wrong", () => {
    assert.deepEqual(checkInputs({ accountId: ACCOUNT, identifier: VIDEO }), {
      inputs: {
        accountId: ACCOUNT,
        identifier: VIDEO,
        downloadTypes: ["default"],
        waitForReady: true,
        readyTimeoutSeconds: 1800,
      },
      failures: [],
    });
    const given = {
      accountId: ACCOUNT,
      identifier: VIDEO,
      downloadTypes: ["audio", "default"],
      waitForReady: false,
      readyTimeoutSeconds: 0.5,
    };
    assert.deepEqual(checkInputs(given), { inputs: given, failures: [] });
  });

  it("keeps a wrapped secret wrapped in the inputs it returns", () => {
    const { inputs, failures } = checkInputs({ accountId: wrapped(ACCOUNT), identifier: VIDEO });
    assert.deepEqual(failures, []);
    assert.deepEqual(inputs.accountId, wrapped(ACCOUNT));
  });

  it("requires accountId and identifier when the inputs are missing altogether", () => {
    const required = (property: string, what: string) =>
      `${property} is required: the Cloudflare ${what}, 32 lowercase hexadecimal characters.`;
    for (const news of [undefined, null, {}]) {
      assert.deepEqual(checkInputs(news).failures, [
        { property: "accountId", reason: required("accountId", "account ID") },
        { property: "identifier", reason: required("identifier", "video UID") },
      ]);
    }
    for (const empty of [null, "", wrapped(undefined), wrapped(null)]) {
      assert.equal(reasons({ accountId: empty }).accountId, required("accountId", "account ID"));
    }
  });

  it("takes an id of exactly 32 lowercase hexadecimal characters, nothing around it", () => {
    assert.equal(CLOUDFLARE_ID.test(ACCOUNT), true);
    for (const bad of [
      `x${ACCOUNT}`,
      `${ACCOUNT}x`,
      ACCOUNT.slice(1),
      `${ACCOUNT}0`,
      ACCOUNT.toUpperCase(),
      "g".repeat(32),
    ])
      assert.equal(CLOUDFLARE_ID.test(bad), false, bad);
  });

  it("quotes a plain bad id, and offers the corrected id when trimming and lowercasing make it valid", () => {
    assert.deepEqual(reasons({ accountId: "not-an-id", identifier: ` ${VIDEO.toUpperCase()}\n` }), {
      accountId: `${ID_RULE("accountId", "account ID")}; got "not-an-id".`,
      identifier: `${ID_RULE("identifier", "video UID")}; got ${JSON.stringify(` ${VIDEO.toUpperCase()}\n`)}. Did you mean "${VIDEO}"?`,
    });
    assert.equal(reasons({ identifier: 42 }).identifier, `${ID_RULE("identifier", "video UID")}; got 42.`);
    assert.equal(
      reasons({ identifier: [VIDEO] }).identifier,
      `${ID_RULE("identifier", "video UID")}; got ["${VIDEO}"].`,
    );
  });

  it("says what is wrong with a secret id without repeating it or its correction", () => {
    const secretReason = (value: unknown) => reasons({ accountId: wrapped(value) }).accountId;
    const rule = ID_RULE("accountId", "account ID");
    assert.equal(secretReason(ACCOUNT.slice(0, 31)), `${rule}; ${NOT_SHOWN} has 31 characters.`);
    assert.equal(
      secretReason(` ${ACCOUNT.toUpperCase()}\n`),
      `${rule}; ${NOT_SHOWN} has spaces or line breaks around it, uppercase letters. Without the spaces around it ` +
        `and in lowercase, it would be valid.`,
    );
    assert.equal(
      secretReason(`  ${ACCOUNT}`),
      `${rule}; ${NOT_SHOWN} has spaces or line breaks around it. Without the spaces around it, it would be valid.`,
    );
    assert.equal(
      secretReason(ACCOUNT.toUpperCase()),
      `${rule}; ${NOT_SHOWN} has uppercase letters. In lowercase, it would be valid.`,
    );
    assert.equal(
      secretReason(" xyz "),
      `${rule}; ${NOT_SHOWN} has spaces or line breaks around it, 3 characters without them, characters other ` +
        `than 0-9 and a-f.`,
    );
    assert.equal(
      secretReason(`${ACCOUNT.slice(0, 30)}Az`),
      `${rule}; ${NOT_SHOWN} has uppercase letters, characters other than 0-9 and a-f.`,
    );
    assert.equal(secretReason(12), `${rule}; got ${NOT_SHOWN}, a number.`);
  });

  it("treats a property the face calls hidden as secret even when it arrives unwrapped", () => {
    const hidden = new Set(["accountId", "readyTimeoutSeconds"]);
    assert.deepEqual(reasons({ accountId: "Not-An-Id", readyTimeoutSeconds: -5 }, hidden), {
      accountId: `${ID_RULE("accountId", "account ID")}; ${NOT_SHOWN} has 9 characters, uppercase letters, characters other than 0-9 and a-f.`,
      readyTimeoutSeconds: `readyTimeoutSeconds must be a positive number of seconds; got ${NOT_SHOWN}, a number. The default is 1800.`,
    });
    assert.equal(
      reasons({ identifier: "Not-An-Id" }, hidden).identifier,
      `${ID_RULE("identifier", "video UID")}; got "Not-An-Id".`,
    );
  });

  it("does not repeat a downloadTypes or waitForReady the face says may be secret", () => {
    const hidden = new Set(["downloadTypes", "waitForReady"]);
    assert.deepEqual(reasons({ downloadTypes: ["video"], waitForReady: "yes" }, hidden), {
      downloadTypes: `downloadTypes[0] is ${NOT_SHOWN}, a string of 5 characters; Cloudflare Stream knows only "default" and "audio".`,
      waitForReady: `waitForReady must be true or false; got ${NOT_SHOWN}, a string of 3 characters.`,
    });
  });

  it("names each bad or repeated download type by its index, and wants a non-empty list", () => {
    const known = '"default" and "audio"';
    const { failures } = checkInputs({
      accountId: ACCOUNT,
      identifier: VIDEO,
      downloadTypes: ["default", "video", "default", "audio", 7],
    });
    // Each failure is filed under the top-level property (what Pulumi's check failures name), its index in the words.
    assert.deepEqual(failures, [
      { property: "downloadTypes", reason: `downloadTypes[1] is "video"; Cloudflare Stream knows only ${known}.` },
      {
        property: "downloadTypes",
        reason: `downloadTypes lists "default" more than once (again at downloadTypes[2]); list each type once.`,
      },
      { property: "downloadTypes", reason: `downloadTypes[4] is 7; Cloudflare Stream knows only ${known}.` },
    ]);
    assert.deepEqual(reasons({ downloadTypes: [] }), {
      downloadTypes: `downloadTypes must be a non-empty list of ${known}; got [].`,
    });
    assert.deepEqual(reasons({ downloadTypes: "default" }), {
      downloadTypes: `downloadTypes must be a non-empty list of ${known}; got "default".`,
    });
    assert.deepEqual(reasons({ downloadTypes: null }), {}, "null falls back to the default");
    assert.deepEqual(reasons({ downloadTypes: wrapped(["video"]) }), {
      downloadTypes: `downloadTypes[0] is ${NOT_SHOWN}, a string of 5 characters; Cloudflare Stream knows only ${known}.`,
    });
    assert.deepEqual(reasons({ downloadTypes: [wrapped("audio"), "audio"] }), {
      downloadTypes: `downloadTypes lists ${NOT_SHOWN}, a string of 5 characters more than once (again at downloadTypes[1]); list each type once.`,
    });
    assert.deepEqual(reasons({ downloadTypes: wrapped({ a: 1 }) }), {
      downloadTypes: `downloadTypes must be a non-empty list of ${known}; got ${NOT_SHOWN}, an object.`,
    });
  });

  it("wants waitForReady true or false, and readyTimeoutSeconds a positive finite number", () => {
    assert.deepEqual(reasons({ waitForReady: "yes", readyTimeoutSeconds: -5 }), {
      waitForReady: `waitForReady must be true or false; got "yes".`,
      readyTimeoutSeconds: "readyTimeoutSeconds must be a positive number of seconds; got -5. The default is 1800.",
    });
    const timeout = (value: unknown) => reasons({ readyTimeoutSeconds: value }).readyTimeoutSeconds;
    assert.equal(timeout(0), "readyTimeoutSeconds must be a positive number of seconds; got 0. The default is 1800.");
    assert.equal(
      timeout(Infinity),
      "readyTimeoutSeconds must be a positive number of seconds; got null. The default is 1800.",
    );
    assert.equal(
      timeout("60"),
      'readyTimeoutSeconds must be a positive number of seconds; got "60". The default is 1800.',
    );
    assert.equal(
      timeout(Symbol.for("s")),
      "readyTimeoutSeconds must be a positive number of seconds; got Symbol(s). The default is 1800.",
    );
    assert.equal(timeout(1), undefined);
    assert.deepEqual(reasons({ waitForReady: null }), {}, "null falls back to the default");
    const secretWait = (value: unknown) => reasons({ waitForReady: wrapped(value) }).waitForReady;
    assert.equal(secretWait(undefined), "waitForReady must be true or false; got nothing.");
    assert.equal(secretWait(null), `waitForReady must be true or false; got ${NOT_SHOWN}, null.`);
    assert.equal(secretWait([true]), `waitForReady must be true or false; got ${NOT_SHOWN}, a list.`);
    assert.equal(secretWait("yes"), `waitForReady must be true or false; got ${NOT_SHOWN}, a string of 3 characters.`);
    assert.equal(secretWait(1), `waitForReady must be true or false; got ${NOT_SHOWN}, a number.`);
  });

  it("lets through every value that is unknown during preview", () => {
    const { failures, inputs } = checkInputs({
      accountId: UNKNOWN,
      identifier: UNKNOWN,
      downloadTypes: UNKNOWN,
      waitForReady: UNKNOWN,
      readyTimeoutSeconds: UNKNOWN,
    });
    assert.deepEqual(failures, []);
    assert.equal(inputs.downloadTypes, UNKNOWN);
    assert.deepEqual(reasons({ downloadTypes: [UNKNOWN, "audio"] }), {});
  });
});
