/**
 * The Authenticode signature of a Windows executable (PE), removed: what `osslsigncode remove-signature` does,
 * written here so that the release build needs no other tool.
 *
 * Node.js's `node.exe` is signed by the Node.js project. Injecting the application with `--build-sea` changes
 * the file the signature covers, so the SEA would carry a signature that no longer verifies, which Windows and
 * scanners report as tampering. Removed before injection, the binary is cleanly unsigned.
 *
 * The signature is the certificate table: data directory 4 of the optional header (its "address" is a file
 * offset), a run of WIN_CERTIFICATE entries at the end of the file. Removing it: zero the directory entry,
 * drop the table from the end, and set the header's checksum for the new bytes.
 * Reference: Microsoft's "PE Format" specification (Optional Header Data Directories, The Attribute
 * Certificate Table).
 */

const PE32 = 0x10b;
const PE32_PLUS = 0x20b;
const CERTIFICATE_TABLE = 4;

/** Where the fields this module touches are, in a PE file. */
export interface PeLayout {
  /** The offset of the optional header's CheckSum field. */
  checksum: number;
  /** The offset of the certificate table's data directory entry (file offset, then size). */
  certificateEntry: number;
  /** The certificate table's file offset and size (0 and 0: unsigned). */
  certificates: { offset: number; size: number };
}

function fail(message: string): never {
  throw new Error(`PE: ${message}`);
}

/** Reads where the checksum and the certificate table are. */
export function readPe(file: Buffer): PeLayout {
  if (file.length < 0x40 || file.toString("latin1", 0, 2) !== "MZ") fail("not a Windows executable (no MZ header)");
  const pe = file.readUInt32LE(0x3c);
  if (pe + 24 > file.length || file.toString("latin1", pe, pe + 4) !== "PE\0\0") fail("no PE signature");
  const optional = pe + 24;
  const magic = file.readUInt16LE(optional);
  if (magic !== PE32 && magic !== PE32_PLUS) fail(`unknown optional header magic 0x${magic.toString(16)}`);
  const directories = optional + (magic === PE32_PLUS ? 112 : 96);
  const count = file.readUInt32LE(directories - 4);
  if (count <= CERTIFICATE_TABLE) fail("the optional header has no certificate table entry");
  const certificateEntry = directories + CERTIFICATE_TABLE * 8;
  return {
    checksum: optional + 64,
    certificateEntry,
    certificates: { offset: file.readUInt32LE(certificateEntry), size: file.readUInt32LE(certificateEntry + 4) },
  };
}

/** The PE checksum of the file as the image loader computes it (the CheckSum field counted as zero). */
export function peChecksum(file: Buffer): number {
  const { checksum } = readPe(file);
  let sum = 0;
  for (let at = 0; at < file.length; at += 2) {
    if (at === checksum || at === checksum + 2) continue;
    sum += at + 1 < file.length ? file.readUInt16LE(at) : (file[at] ?? 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + file.length) >>> 0;
}

/** The same file with its CheckSum field set for its bytes. */
export function withPeChecksum(file: Buffer): Buffer {
  const out = Buffer.from(file);
  out.writeUInt32LE(peChecksum(out), readPe(out).checksum);
  return out;
}

/** The executable without its Authenticode signature (a new buffer; an unsigned one comes back as a copy). */
export function removeAuthenticode(input: Buffer): Buffer {
  const { certificateEntry, certificates } = readPe(input);
  if (certificates.size === 0) return withPeChecksum(input);
  const end = certificates.offset + certificates.size;
  // The table is the file's last thing, padded to 8 bytes; anything after it is not a signed PE file's.
  if (certificates.offset === 0 || end > input.length || input.length - end >= 8) {
    fail(`the certificate table (offset ${certificates.offset}, ${certificates.size} bytes) does not end the file`);
  }
  const out = Buffer.from(input.subarray(0, certificates.offset));
  out.fill(0, certificateEntry, certificateEntry + 8);
  return withPeChecksum(out);
}
