/**
 * Property values as they cross the provider gRPC boundary, and back.
 *
 * `Struct.toJavaScript()` hands us secrets as `{ [SECRET_SIG]: SECRET_VALUE_SIG, value }` objects and values
 * not known yet (at preview) as the UNKNOWN string. The core works on plain values, so the face unwraps
 * secrets on the way in, remembers which top-level properties held one, and wraps them again on the way out.
 */

import { isSecret, SECRET_SIG, SECRET_VALUE_SIG, UNKNOWN, unwrapDeep } from "../core/pulumi-values";

export { isSecret, SECRET_SIG, SECRET_VALUE_SIG, UNKNOWN };

export type PropertyMap = Record<string, unknown>;

/** Wraps a value as a secret (once). */
export function secret(value: unknown): unknown {
  return isSecret(value) ? value : { [SECRET_SIG]: SECRET_VALUE_SIG, value };
}

/** Plain properties, plus the names of the top-level properties that were (or held) secrets. */
export function unwrapSecrets(props: PropertyMap | undefined): { plain: PropertyMap; secrets: Set<string> } {
  const plain: PropertyMap = {};
  const secrets = new Set<string>();
  for (const [key, value] of Object.entries(props ?? {})) {
    const u = unwrapDeep(value);
    plain[key] = u.value;
    if (u.secret) secrets.add(key);
  }
  return { plain, secrets };
}

/** Marks the named top-level properties secret again; `undefined` properties are dropped. */
export function wrapSecrets(props: object, secrets: ReadonlySet<string>): PropertyMap {
  const out: PropertyMap = {};
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    out[key] = secrets.has(key) ? secret(value) : value;
  }
  return out;
}

/** True when the value, or anything inside it, is not known yet. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}
