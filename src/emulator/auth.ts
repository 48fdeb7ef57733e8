/**
 * Cloudflare's two ways to authenticate: an API token (`Authorization: Bearer`) or the legacy global key pair
 * (`X-Auth-Email` + `X-Auth-Key`). Also derives the key that rate limiting counts requests under.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { ApiResponse } from "./envelope";
import { ERRORS, fail } from "./envelope";

/** Which credential scheme a request presented, whatever its validity. */
export type AuthScheme = "bearer" | "key" | "none";

/** The credentials the emulator accepts. */
export interface AcceptedCredentials {
  token: string;
  apiKey: string;
  email: string;
}

/** What a request presented: its scheme, the rate-limit key, and the check against accepted credentials. */
export interface PresentedAuth {
  scheme: AuthScheme;
  /** Requests are counted per credential; the secret part is hashed so it is not kept in memory as is. */
  rateKey: string;
  /** Undefined when the credential is accepted, else the 400/401/403 to answer. */
  reject(accepted: AcceptedCredentials): ApiResponse | undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function hash(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 32);
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The key that rate limiting counts the requests of an API token under. */
export function tokenRateKey(token: string): string {
  return `token:${hash(token)}`;
}

/** Reads the credentials of a request; `remoteAddress` keys anonymous requests. */
export function presentedAuth(headers: IncomingHttpHeaders, remoteAddress: string): PresentedAuth {
  const authorization = header(headers, "authorization");
  if (authorization !== undefined) {
    const match = /^Bearer +(\S+)$/i.exec(authorization.trim());
    const token = match?.[1];
    return {
      scheme: "bearer",
      rateKey: tokenRateKey(token ?? authorization),
      reject: (accepted) => {
        // "Bearer" with an empty token carries no credential at all: treat it as missing, not as malformed.
        if (/^Bearer$/i.test(authorization.trim())) return fail(401, ERRORS.authMissing);
        if (token === undefined) return fail(400, ERRORS.invalidHeaders, ERRORS.invalidAuthorizationFormat);
        return same(token, accepted.token) ? undefined : fail(403, ERRORS.authMissing, ERRORS.authInvalidToken);
      },
    };
  }
  const email = header(headers, "x-auth-email");
  const key = header(headers, "x-auth-key");
  if (email !== undefined || key !== undefined) {
    return {
      scheme: "key",
      rateKey: `key:${email ?? ""}:${hash(key ?? "")}`,
      reject: (accepted) =>
        email !== undefined && key !== undefined && same(email, accepted.email) && same(key, accepted.apiKey)
          ? undefined
          : fail(403, ERRORS.authMissing, ERRORS.authInvalidKey),
    };
  }
  return { scheme: "none", rateKey: `ip:${remoteAddress}`, reject: () => fail(401, ERRORS.authMissing) };
}
