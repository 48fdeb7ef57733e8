/**
 * A reproducible `.tar.gz`: the same entries always give the same bytes, on any machine. Entries are sorted by
 * name, every mtime is the one given, owner and group are 0/root, and the gzip header has no timestamp and no
 * file name. Written here (ustar, plain files only) rather than with `tar`, whose output varies with its
 * version and flags from one machine to the next; compressed by pako (a JavaScript port of zlib, its version
 * pinned exactly in package.json) rather than by the zlib inside the Node.js that runs the build, whose
 * output may change with the Node.js version and the processor's instructions.
 */
import { gzip } from "pako";

/** One file of an archive: its path inside it, its bytes and whether it is executable. */
export interface TarEntry {
  name: string;
  data: Buffer;
  executable?: boolean;
}

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new Error(`tar: "${value}" does not fit a ${length}-byte header field`);
  bytes.copy(header, offset);
}

/** A number as the zero-padded octal digits ustar expects, NUL-terminated, filling `length` bytes. */
function octal(value: number, length: number): string {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`tar: ${value} does not fit a ${length}-byte header field`);
  return `${digits.padStart(length - 1, "0")}\0`;
}

function header(entry: TarEntry, mtime: number): Buffer {
  const segments = entry.name.split("/");
  if (entry.name.length > 100 || !segments.every((s) => /^[A-Za-z0-9._-]+$/.test(s) && s !== "." && s !== "..")) {
    throw new Error(`tar: "${entry.name}" is not a plain relative path of at most 100 characters`);
  }
  const h = Buffer.alloc(BLOCK);
  field(h, 0, 100, entry.name);
  field(h, 100, 8, octal(entry.executable ? 0o755 : 0o644, 8));
  field(h, 108, 8, octal(0, 8)); // uid
  field(h, 116, 8, octal(0, 8)); // gid
  field(h, 124, 12, octal(entry.data.length, 12));
  field(h, 136, 12, octal(mtime, 12));
  field(h, 148, 8, "        "); // the checksum counts its own field as spaces
  field(h, 156, 1, "0"); // a regular file
  field(h, 257, 6, "ustar\0");
  field(h, 263, 2, "00");
  field(h, 265, 32, "root");
  field(h, 297, 32, "root");
  let sum = 0;
  for (const byte of h) sum += byte;
  field(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** The uncompressed tar of the entries, sorted by name, each with `mtime` (seconds since the epoch). */
export function tarOf(entries: TarEntry[], mtime: number): Buffer {
  const names = new Set<string>();
  const parts: Buffer[] = [];
  for (const entry of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (names.has(entry.name)) throw new Error(`tar: "${entry.name}" is in the archive twice`);
    names.add(entry.name);
    parts.push(header(entry, mtime), entry.data);
    const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK)); // the end-of-archive marker
  return Buffer.concat(parts);
}

/**
 * The gzipped tar of the entries. pako's gzip writes a header with mtime 0 and no file name, so the bytes
 * depend only on the entries, `mtime` and pako's version.
 */
export async function tarGz(entries: TarEntry[], mtime: number): Promise<Buffer> {
  const tar = tarOf(entries, mtime);
  return Buffer.from(gzip(tar, { level: 6 }));
}
