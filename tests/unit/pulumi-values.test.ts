/**
 * The special values Pulumi puts among a resource's inputs: wrapped secrets (at any depth) and unknowns.
 */
import assert from "node:assert/strict";
import { isSecret, SECRET_SIG, SECRET_VALUE_SIG, UNKNOWN, unwrapDeep } from "../../src/core/pulumi-values";

const wrapped = (value: unknown) => ({ [SECRET_SIG]: SECRET_VALUE_SIG, value });

describe("Pulumi's special values", () => {
  it("has the signatures the Pulumi engine uses", () => {
    assert.equal(SECRET_SIG, "4dabf18193072939515e22adb298388d");
    assert.equal(SECRET_VALUE_SIG, "1b47061264138c4ac30d75fd1eb44270");
    assert.equal(UNKNOWN, "04da6b54-80e4-46f7-96ec-b56ff0331ba9");
  });

  it("knows a wrapped secret by its signature key, and nothing else", () => {
    assert.equal(isSecret(wrapped("x")), true);
    for (const other of [null, undefined, "x", 1, [SECRET_SIG], { value: "x" }, { [SECRET_VALUE_SIG]: 1 }])
      assert.equal(isSecret(other), false, JSON.stringify(other));
  });

  it("unwraps secrets at any depth and says whether it found one", () => {
    assert.deepEqual(unwrapDeep("plain"), { value: "plain", secret: false });
    assert.deepEqual(unwrapDeep(null), { value: null, secret: false });
    assert.deepEqual(unwrapDeep(wrapped(wrapped("x"))), { value: "x", secret: true });
    assert.deepEqual(unwrapDeep(["a", wrapped("b")]), { value: ["a", "b"], secret: true });
    assert.deepEqual(unwrapDeep(["a", "b"]), { value: ["a", "b"], secret: false });
    assert.deepEqual(unwrapDeep({ a: { b: wrapped(["c", wrapped(1)]) }, d: 2 }), {
      value: { a: { b: ["c", 1] }, d: 2 },
      secret: true,
    });
    assert.deepEqual(unwrapDeep({ a: [1], b: { c: null } }), { value: { a: [1], b: { c: null } }, secret: false });
    assert.deepEqual(
      unwrapDeep({ a: wrapped(1), b: 2 }),
      { value: { a: 1, b: 2 }, secret: true },
      "a secret before a plain value",
    );
  });
});
