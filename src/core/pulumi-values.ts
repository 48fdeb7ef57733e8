/**
 * The special values Pulumi puts among a resource's inputs, whichever face passes them on: a secret is
 * `{ [SECRET_SIG]: SECRET_VALUE_SIG, value }`, and a value not known yet (at preview) is the UNKNOWN string.
 */

/** The key that marks a special value (here: a secret) in a property map. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
/** The signature value of a secret. */
export const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The value the engine sends for a property that is not known yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a value is a wrapped secret. */
export function isSecret(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && !Array.isArray(value) && SECRET_SIG in value;
}

/** A value with every secret (at any depth) replaced by what it holds, and whether it held one. */
export function unwrapDeep(value: unknown): { value: unknown; secret: boolean } {
  if (isSecret(value)) return { value: unwrapDeep(value.value).value, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(unwrapDeep);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (value !== null && typeof value === "object") {
    let anySecret = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const u = unwrapDeep(v);
      out[k] = u.value;
      anySecret ||= u.secret;
    }
    return { value: out, secret: anySecret };
  }
  return { value, secret: false };
}
