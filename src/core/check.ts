/**
 * The check of a StreamDownload's inputs: defaults filled, and each problem named by its property, with what is
 * wrong and what to do. Calls no API, so it is safe at preview.
 *
 * A message quotes the value it rejects, unless that value is (or may be) a secret: then it says what is wrong
 * with it (its length, which kinds of characters do not belong) and never the value, nor a corrected form of it.
 */
import { DOWNLOAD_TYPES, isDownloadType } from "./download-types";
import { DEFAULT_DOWNLOAD_TYPES, DEFAULT_READY_TIMEOUT_SECONDS } from "./types";
import type { StreamDownloadInputs } from "./types";
import { UNKNOWN, unwrapDeep } from "./pulumi-values";

/**
 * A problem with one input. `property` is the top-level input (the engine looks up its value by that name to show
 * it beside the reason); a place within it, such as a list index, is said in the reason.
 */
export interface CheckFailure {
  property: string;
  reason: string;
}

/** Inputs with defaults filled, and what is wrong with them. */
export interface CheckOutcome {
  inputs: StreamDownloadInputs;
  failures: CheckFailure[];
}

/** Cloudflare ids (accounts, videos) are 32 lowercase hex digits. */
export const CLOUDFLARE_ID = /^[0-9a-f]{32}$/;

/** Said in place of a value a message must not repeat. */
const NOT_SHOWN = "the value given (not shown: it may be a secret)";

type Fail = (property: string, reason: string) => void;

/**
 * Validates inputs and fills defaults.
 *
 * @param news the inputs as the face received them; a value may be a wrapped secret, at any depth
 * @param hidden top-level properties whose values must not be repeated even when they arrive unwrapped (the
 *   face knows, or cannot rule out, that they are secret); any property holding a wrapped secret is hidden too
 */
export function checkInputs(news: unknown, hidden: ReadonlySet<string> = new Set()): CheckOutcome {
  const raw = (news ?? {}) as Record<string, unknown>;
  const failures: CheckFailure[] = [];
  const fail: Fail = (property, reason) => failures.push({ property, reason });
  const read = (property: string, fallback: unknown) => {
    const { value, secret } = unwrapDeep(raw[property] ?? fallback);
    return { value, secret: secret || hidden.has(property) };
  };

  checkCloudflareId(read("accountId", undefined), "accountId", "account ID", fail);
  checkCloudflareId(read("identifier", undefined), "identifier", "video UID", fail);

  const downloadTypes = raw.downloadTypes ?? [...DEFAULT_DOWNLOAD_TYPES];
  const types = read("downloadTypes", downloadTypes);
  if (!isUnknown(types.value)) checkDownloadTypes(types.value, types.secret, fail);

  const waitForReady = raw.waitForReady ?? true;
  const wait = read("waitForReady", waitForReady);
  if (!isUnknown(wait.value) && typeof wait.value !== "boolean") {
    fail("waitForReady", `waitForReady must be true or false; got ${shown(wait.value, wait.secret)}.`);
  }

  const timeout = raw.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS;
  const { value: t, secret } = read("readyTimeoutSeconds", timeout);
  if (!isUnknown(t) && (typeof t !== "number" || !Number.isFinite(t) || t <= 0)) {
    fail(
      "readyTimeoutSeconds",
      `readyTimeoutSeconds must be a positive number of seconds; got ${shown(t, secret)}. ` +
        `The default is ${DEFAULT_READY_TIMEOUT_SECONDS}.`,
    );
  }

  return {
    inputs: { ...raw, downloadTypes, waitForReady, readyTimeoutSeconds: timeout } as StreamDownloadInputs,
    failures,
  };
}

function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

/** A value for a message: quoted as JSON, or, when secret, only what kind of value it is. */
function shown(value: unknown, secret: boolean): string {
  if (value === undefined) return "nothing";
  if (secret) return `${NOT_SHOWN}, ${kindOf(value)}`;
  return JSON.stringify(value) ?? String(value);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `a string of ${value.length} characters`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** What keeps a string from being a Cloudflare id, said without repeating any of it: "has ...". */
function idDefects(v: string): string {
  const trimmed = v.trim();
  const needsTrim = trimmed !== v;
  const needsLower = /[A-F]/.test(trimmed);
  const defects: string[] = [];
  if (needsTrim) defects.push("spaces or line breaks around it");
  if (trimmed.length !== 32) defects.push(`${trimmed.length} characters${needsTrim ? " without them" : ""}`);
  if (needsLower) defects.push("uppercase letters");
  if (/[^0-9a-fA-F]/.test(trimmed)) defects.push("characters other than 0-9 and a-f");
  const fixes = [needsTrim && "without the spaces around it", needsLower && "in lowercase"].filter(Boolean);
  const fix = fixes.join(" and ");
  const valid = CLOUDFLARE_ID.test(trimmed.toLowerCase());
  return `has ${defects.join(", ")}.${valid ? ` ${fix.charAt(0).toUpperCase()}${fix.slice(1)}, it would be valid.` : ""}`;
}

function checkCloudflareId(
  input: { value: unknown; secret: boolean },
  property: string,
  what: string,
  fail: Fail,
): void {
  const { value: v, secret } = input;
  if (isUnknown(v)) return;
  const rule = `${property} must be a Cloudflare ${what}: 32 lowercase hexadecimal characters`;
  if (v === undefined || v === null || v === "") {
    fail(property, `${property} is required: the Cloudflare ${what}, 32 lowercase hexadecimal characters.`);
  } else if (typeof v !== "string") {
    fail(property, `${rule}; got ${shown(v, secret)}.`);
  } else if (!CLOUDFLARE_ID.test(v)) {
    if (secret) {
      fail(property, `${rule}; ${NOT_SHOWN} ${idDefects(v)}`);
      return;
    }
    const hint = CLOUDFLARE_ID.test(v.trim().toLowerCase()) ? ` Did you mean "${v.trim().toLowerCase()}"?` : "";
    fail(property, `${rule}; got ${shown(v, false)}.${hint}`);
  }
}

function checkDownloadTypes(value: unknown, secret: boolean, fail: Fail): void {
  const known = DOWNLOAD_TYPES.map((t) => `"${t}"`).join(" and ");
  if (!Array.isArray(value) || value.length === 0) {
    fail("downloadTypes", `downloadTypes must be a non-empty list of ${known}; got ${shown(value, secret)}.`);
    return;
  }
  const seen = new Set<unknown>();
  value.forEach((type: unknown, i) => {
    if (isUnknown(type)) return;
    if (!isDownloadType(type)) {
      fail("downloadTypes", `downloadTypes[${i}] is ${shown(type, secret)}; Cloudflare Stream knows only ${known}.`);
    } else if (seen.has(type)) {
      fail(
        "downloadTypes",
        `downloadTypes lists ${shown(type, secret)} more than once (again at downloadTypes[${i}]); list each type once.`,
      );
    }
    seen.add(type);
  });
}
