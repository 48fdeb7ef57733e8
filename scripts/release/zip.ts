/**
 * A zip archive (a Python wheel) written again so that its bytes depend only on its entries: each entry keeps
 * its name, order, time fields and permissions, and its contents are compressed by pako (pinned exactly in
 * package.json) instead of the zlib under the Python that built it, whose output may change from one machine to
 * the next. The contents themselves are unchanged, so a wheel's RECORD (hashes of the uncompressed files) still
 * holds. Plain archives only: no zip64, no encryption, no multi-disk archives.
 */
import { crc32, inflateRawSync } from "node:zlib";
import { deflateRaw } from "pako";

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const STORED = 0;
const DEFLATED = 8;

interface Entry {
  name: Buffer;
  madeBy: number;
  time: number;
  date: number;
  externalAttributes: number;
  data: Buffer;
}

function fail(message: string): never {
  throw new Error(`zip: ${message}`);
}

/** The entries of a zip archive, in the order of its central directory, uncompressed. */
export function readZip(zip: Buffer): Entry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0 || zip.readUInt32LE(end) !== END) fail("no end of central directory record");
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL) fail(`central directory entry ${i} is damaged`);
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength);
    if (flags & 0x1) fail(`${name.toString()} is encrypted`);
    if (zip.readUInt32LE(local) !== LOCAL) fail(`${name.toString()}: no local header`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    const data = method === STORED ? Buffer.from(raw) : method === DEFLATED ? inflateRawSync(raw) : undefined;
    if (!data) fail(`${name.toString()}: compression method ${method} is neither stored nor deflated`);
    if (data.length !== size || crc32(data) !== zip.readUInt32LE(at + 16)) fail(`${name.toString()}: bad size or CRC`);
    entries.push({
      name: Buffer.from(name),
      madeBy: zip.readUInt16LE(at + 4),
      time: zip.readUInt16LE(at + 12),
      date: zip.readUInt16LE(at + 14),
      externalAttributes: zip.readUInt32LE(at + 38),
      data,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The archive again, each entry deflated by pako (level 6), with no extra fields and no comments. */
export function rewriteZip(zip: Buffer): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of readZip(zip)) {
    const data = Buffer.from(deflateRaw(entry.data, { level: 6 }));
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(DEFLATED, 8);
    local.writeUInt16LE(entry.time, 10);
    local.writeUInt16LE(entry.date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(entry.name.length, 26);
    local.writeUInt16LE(0, 28); // extra field length
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE(entry.madeBy, 4);
    local.copy(central, 6, 4, 30); // version needed ... name length, as in the local header
    central.writeUInt16LE(0, 30); // extra field length
    central.writeUInt16LE(0, 32); // comment length
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(entry.externalAttributes, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, entry.name, data);
    centrals.push(central, entry.name);
    offset += local.length + entry.name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
