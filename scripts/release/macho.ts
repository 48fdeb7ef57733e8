/**
 * An ad-hoc code signature for a 64-bit Mach-O executable, written here so that the release build needs no
 * Apple tool and no Rust build: what `codesign --sign -` writes, reduced to what macOS checks.
 *
 * Node.js's `--build-sea` injects the application into the macOS `node` and drops its code signature
 * (Node.js's own, which the injection would break anyway). Apple Silicon runs no unsigned code, and runs an
 * ad-hoc signed binary that is not quarantined (the Pulumi CLI's downloads are not). An ad-hoc signature is no
 * more than hashes: a SuperBlob at the end of __LINKEDIT, named by an LC_CODE_SIGNATURE load command, holding
 * - a CodeDirectory: the SHA-256 of every 4 KiB page of the file up to the signature (the header included),
 *   the identifier, the executable segment, and the CS_ADHOC flag (no certificate, no team);
 * - an empty Requirements set, whose hash the CodeDirectory's special slot -2 holds, as codesign writes it.
 *
 * Every structure of the signature is big-endian; the Mach-O header and load commands are little-endian.
 * References: Apple's xnu `osfmk/kern/cs_blobs.h` (the blob layouts and constants) and `EXTERNAL_HEADERS/
 * mach-o/loader.h` (the load commands). The tests check the result with `rcodesign verify`.
 */
import { createHash } from "node:crypto";

const MH_MAGIC_64 = 0xfeedfacf;
const MH_EXECUTE = 2;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const CPU_TYPE_X86_64 = 0x01000007;
const CPU_TYPE_ARM64 = 0x0100000c;

const CSMAGIC_REQUIREMENTS = 0xfade0c01;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSSLOT_CODEDIRECTORY = 0;
const CSSLOT_REQUIREMENTS = 2;
/** Supports the executable segment fields (execSegBase, execSegLimit, execSegFlags). */
const CS_SUPPORTSEXECSEG = 0x20400;
const CS_ADHOC = 0x2;
const CS_EXECSEG_MAIN_BINARY = 0x1;
const CS_HASHTYPE_SHA256 = 2;
const HASH_SIZE = 32;
const PAGE_SHIFT = 12; // codesign hashes 4 KiB pages on every architecture
const PAGE = 1 << PAGE_SHIFT;
/** Special slots before the code slots: -1 Info.plist (none: zeros), -2 the requirements. */
const SPECIAL_SLOTS = 2;
/** The fixed part of a version 0x20400 CodeDirectory, up to and including execSegFlags. */
const CODE_DIRECTORY_HEADER = 88;

/** A segment load command: where it is in the header and what it maps. */
interface Segment {
  at: number;
  name: string;
  fileoff: number;
  filesize: number;
  vmsize: bigint;
}

/** What the signing needs from a Mach-O executable's header. */
export interface MachO {
  cputype: number;
  filetype: number;
  ncmds: number;
  sizeofcmds: number;
  segments: Segment[];
  /** The LC_CODE_SIGNATURE command: where it is, and the signature's place in the file. */
  codeSignature?: { at: number; dataoff: number; datasize: number };
  /** The lowest file offset of any section's contents: the load commands may grow up to it. */
  firstSectionOffset: number;
}

function fail(message: string): never {
  throw new Error(`Mach-O: ${message}`);
}

/** Reads the header and the load commands the signing touches. */
export function readMachO(file: Buffer): MachO {
  if (file.length < 32 || file.readUInt32LE(0) !== MH_MAGIC_64) {
    fail(`not a 64-bit little-endian Mach-O file (magic ${file.subarray(0, 4).toString("hex")})`);
  }
  const macho: MachO = {
    cputype: file.readUInt32LE(4),
    filetype: file.readUInt32LE(12),
    ncmds: file.readUInt32LE(16),
    sizeofcmds: file.readUInt32LE(20),
    segments: [],
    firstSectionOffset: file.length,
  };
  let at = 32;
  for (let i = 0; i < macho.ncmds; i++) {
    const cmd = file.readUInt32LE(at);
    const size = file.readUInt32LE(at + 4);
    if (size < 8 || at + size > 32 + macho.sizeofcmds) fail(`load command ${i} runs past the load commands`);
    if (cmd === LC_SEGMENT_64) {
      const nsects = file.readUInt32LE(at + 64);
      macho.segments.push({
        at,
        name: file.toString("latin1", at + 8, at + 24).replace(/\0+$/, ""),
        vmsize: file.readBigUInt64LE(at + 32),
        fileoff: Number(file.readBigUInt64LE(at + 40)),
        filesize: Number(file.readBigUInt64LE(at + 48)),
      });
      for (let s = 0; s < nsects; s++) {
        const sect = at + 72 + s * 80;
        const offset = file.readUInt32LE(sect + 48);
        // Zero-fill sections (__bss, __common) have offset 0: nothing in the file.
        if (offset > 0 && file.readBigUInt64LE(sect + 40) > 0n) {
          macho.firstSectionOffset = Math.min(macho.firstSectionOffset, offset);
        }
      }
    } else if (cmd === LC_CODE_SIGNATURE) {
      macho.codeSignature = { at, dataoff: file.readUInt32LE(at + 8), datasize: file.readUInt32LE(at + 12) };
    }
    at += size;
  }
  return macho;
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** The empty requirement set codesign writes for an ad-hoc signature. */
function requirementsBlob(): Buffer {
  const blob = Buffer.alloc(12);
  blob.writeUInt32BE(CSMAGIC_REQUIREMENTS, 0);
  blob.writeUInt32BE(12, 4);
  blob.writeUInt32BE(0, 8); // no requirements
  return blob;
}

/**
 * The executable with an ad-hoc signature in place of any it had: returns a new buffer, leaving `input` as it
 * is. `identifier` is the signature's name for the code (codesign uses the file name).
 */
export function adhocSign(input: Buffer, identifier: string): Buffer {
  const macho = readMachO(input);
  if (macho.cputype !== CPU_TYPE_ARM64 && macho.cputype !== CPU_TYPE_X86_64) {
    fail(`CPU type 0x${macho.cputype.toString(16)} is neither arm64 nor x86_64`);
  }
  if (!/^[A-Za-z0-9._-]+$/.test(identifier)) fail(`the identifier "${identifier}" must be a plain name`);
  const linkedit = macho.segments.find((s) => s.name === "__LINKEDIT") ?? fail("no __LINKEDIT segment");
  const text = macho.segments.find((s) => s.name === "__TEXT") ?? fail("no __TEXT segment");

  // The code the signature covers: everything before the old signature, or the whole file.
  const codeEnd = macho.codeSignature ? macho.codeSignature.dataoff : input.length;
  if (linkedit.fileoff + linkedit.filesize < codeEnd || codeEnd > input.length) {
    fail("__LINKEDIT does not end the file: the signature has no place to go");
  }
  const dataoff = align(codeEnd, 16);
  const nCodeSlots = Math.ceil(dataoff / PAGE);
  const ident = Buffer.from(`${identifier}\0`, "latin1");
  const hashOffset = CODE_DIRECTORY_HEADER + ident.length + SPECIAL_SLOTS * HASH_SIZE;
  const cdLength = hashOffset + nCodeSlots * HASH_SIZE;
  const requirements = requirementsBlob();
  const superHeader = 12 + 2 * 8;
  const superLength = superHeader + cdLength + requirements.length;
  const datasize = align(superLength, 16);

  const out = Buffer.alloc(dataoff + datasize);
  input.copy(out, 0, 0, codeEnd);

  // The load command: rewritten in place, or added after the last one (the room before the first section's
  // contents is zeros; the linker leaves it for exactly this).
  let command: number;
  if (macho.codeSignature) {
    command = macho.codeSignature.at;
  } else {
    command = 32 + macho.sizeofcmds;
    if (command + 16 > macho.firstSectionOffset || !out.subarray(command, command + 16).every((b) => b === 0)) {
      fail("no room after the load commands for LC_CODE_SIGNATURE");
    }
    out.writeUInt32LE(macho.ncmds + 1, 16);
    out.writeUInt32LE(macho.sizeofcmds + 16, 20);
    out.writeUInt32LE(LC_CODE_SIGNATURE, command);
    out.writeUInt32LE(16, command + 4);
  }
  out.writeUInt32LE(dataoff, command + 8);
  out.writeUInt32LE(datasize, command + 12);
  // __LINKEDIT now ends with the signature; its memory size follows, in whole pages of the architecture.
  const filesize = dataoff + datasize - linkedit.fileoff;
  const vmPage = macho.cputype === CPU_TYPE_ARM64 ? 0x4000 : 0x1000;
  const vmsize = BigInt(align(filesize, vmPage));
  out.writeBigUInt64LE(BigInt(filesize), linkedit.at + 48);
  out.writeBigUInt64LE(vmsize > linkedit.vmsize ? vmsize : linkedit.vmsize, linkedit.at + 32);

  const cd = Buffer.alloc(cdLength);
  cd.writeUInt32BE(CSMAGIC_CODEDIRECTORY, 0);
  cd.writeUInt32BE(cdLength, 4);
  cd.writeUInt32BE(CS_SUPPORTSEXECSEG, 8); // version
  cd.writeUInt32BE(CS_ADHOC, 12); // flags
  cd.writeUInt32BE(hashOffset, 16);
  cd.writeUInt32BE(CODE_DIRECTORY_HEADER, 20); // identOffset
  cd.writeUInt32BE(SPECIAL_SLOTS, 24);
  cd.writeUInt32BE(nCodeSlots, 28);
  cd.writeUInt32BE(dataoff, 32); // codeLimit
  cd.writeUInt8(HASH_SIZE, 36);
  cd.writeUInt8(CS_HASHTYPE_SHA256, 37);
  cd.writeUInt8(0, 38); // platform
  cd.writeUInt8(PAGE_SHIFT, 39);
  // 40 spare2, 44 scatterOffset, 48 teamOffset, 52 spare3, 56 codeLimit64: all zero.
  cd.writeBigUInt64BE(BigInt(text.fileoff), 64); // execSegBase
  cd.writeBigUInt64BE(BigInt(text.filesize), 72); // execSegLimit
  cd.writeBigUInt64BE(BigInt(macho.filetype === MH_EXECUTE ? CS_EXECSEG_MAIN_BINARY : 0), 80);
  ident.copy(cd, CODE_DIRECTORY_HEADER);
  const sha256 = (data: Buffer) => createHash("sha256").update(data).digest();
  // Slot -n sits n hashes before hashOffset; slot -1 (Info.plist) stays zeros.
  sha256(requirements).copy(cd, hashOffset - CSSLOT_REQUIREMENTS * HASH_SIZE);
  for (let slot = 0; slot < nCodeSlots; slot++) {
    const page = out.subarray(slot * PAGE, Math.min((slot + 1) * PAGE, dataoff));
    sha256(page).copy(cd, hashOffset + slot * HASH_SIZE);
  }

  const sig = out.subarray(dataoff);
  sig.writeUInt32BE(CSMAGIC_EMBEDDED_SIGNATURE, 0);
  sig.writeUInt32BE(superLength, 4);
  sig.writeUInt32BE(2, 8); // blobs
  sig.writeUInt32BE(CSSLOT_CODEDIRECTORY, 12);
  sig.writeUInt32BE(superHeader, 16);
  sig.writeUInt32BE(CSSLOT_REQUIREMENTS, 20);
  sig.writeUInt32BE(superHeader + cdLength, 24);
  cd.copy(sig, superHeader);
  requirements.copy(sig, superHeader + cdLength);
  return out;
}
