/**
 * Minimal zip central-directory reader (including zip64) for torch.save archives: finds members
 * and where their bytes start, without reading the archive's data.
 */
import type { FileHandle } from 'node:fs/promises';
import { UserError } from '../errors';
import { readExactly, safeNumber } from './file-io';

export interface ZipEntry {
  name: string;
  /** 0 = stored; torch.save never compresses. */
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const EOCD_LEN = 22;
const MAX_COMMENT = 0xffff;

async function readBlock(fh: FileHandle, position: number, length: number, file: string): Promise<DataView> {
  const buf = new Uint8Array(length);
  await readExactly(fh, buf, position, file);
  return new DataView(buf.buffer);
}

/** Reads the central directory. A missing end record means a truncated file or not a zip. */
export async function readZipDirectory(fh: FileHandle, fileSize: number, file: string): Promise<Map<string, ZipEntry>> {
  const tailLen = Math.min(fileSize, EOCD_LEN + MAX_COMMENT + 20);
  const tailStart = fileSize - tailLen;
  const tail = await readBlock(fh, tailStart, tailLen, file);
  let eocd = -1;
  for (let i = tailLen - EOCD_LEN; i >= 0; i--) {
    if (tail.getUint32(i, true) === SIG_EOCD && i + EOCD_LEN + tail.getUint16(i + 20, true) <= tailLen) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0)
    throw new UserError(`${file}: not a complete zip archive (no end-of-central-directory record: the file is truncated or not a torch.save checkpoint)`);
  let count = tail.getUint16(eocd + 10, true);
  let cdSize = tail.getUint32(eocd + 12, true);
  let cdOffset = tail.getUint32(eocd + 16, true);
  let cdLimit = tailStart + eocd;
  // Zip64: a locator right before the end record points at the 64-bit end record.
  if (eocd >= 20 && tail.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR) {
    const recOffset = safeNumber(tail.getBigUint64(eocd - 20 + 8, true), 'zip64 record offset', file);
    if (recOffset + 56 > tailStart + eocd - 20) throw new UserError(`${file}: corrupt zip64 end record offset`);
    const rec = await readBlock(fh, recOffset, 56, file);
    if (rec.getUint32(0, true) !== SIG_ZIP64_EOCD) throw new UserError(`${file}: corrupt zip64 end record`);
    count = safeNumber(rec.getBigUint64(32, true), 'zip64 entry count', file);
    cdSize = safeNumber(rec.getBigUint64(40, true), 'zip64 directory size', file);
    cdOffset = safeNumber(rec.getBigUint64(48, true), 'zip64 directory offset', file);
    cdLimit = recOffset;
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new UserError(`${file}: zip64 archive without a zip64 end record (corrupt or truncated)`);
  }
  if (cdOffset + cdSize > cdLimit)
    throw new UserError(`${file}: zip central directory lies outside the file (truncated or corrupt)`);
  const cd = await readBlock(fh, cdOffset, cdSize, file);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdSize || cd.getUint32(p, true) !== SIG_CENTRAL) throw new UserError(`${file}: corrupt zip central directory (entry ${i})`);
    const nameLen = cd.getUint16(p + 28, true);
    const extraLen = cd.getUint16(p + 30, true);
    const commentLen = cd.getUint16(p + 32, true);
    if (p + 46 + nameLen + extraLen + commentLen > cdSize) throw new UserError(`${file}: corrupt zip central directory (entry ${i})`);
    const name = decoder.decode(new Uint8Array(cd.buffer, p + 46, nameLen));
    let size = cd.getUint32(p + 24, true);
    let compressedSize = cd.getUint32(p + 20, true);
    let localOffset = cd.getUint32(p + 42, true);
    // The zip64 extra field (id 1) holds, in this order, only the fields saturated at 0xffffffff.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cd.getUint16(x, true);
      const len = cd.getUint16(x + 2, true);
      if (id === 1) {
        let q = x + 4;
        const next = (what: string): number => {
          if (q + 8 > x + 4 + len) throw new UserError(`${file}: corrupt zip64 extra field for '${name}'`);
          const v = safeNumber(cd.getBigUint64(q, true), what, file);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next('member size');
        if (compressedSize === 0xffffffff) compressedSize = next('member size');
        if (localOffset === 0xffffffff) localOffset = next('member offset');
      }
      x += 4 + len;
    }
    const method = cd.getUint16(p + 10, true);
    // a stored member's size is its bytes in the archive: a larger claim would size buffers from nothing
    if (method === 0 && size !== compressedSize)
      throw new UserError(`${file}: stored member '${name}' claims ${size} bytes but holds ${compressedSize} (corrupt)`);
    if (localOffset + 30 + compressedSize > cdOffset)
      throw new UserError(`${file}: member '${name}' extends past the archive data (truncated or corrupt)`);
    entries.set(name, { name, method, compressedSize, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Where a stored member's bytes start: after its local header, whose extra field (torch pads it
 * for alignment) differs from the central directory's. */
export async function memberDataStart(fh: FileHandle, entry: ZipEntry, dataLimit: number, file: string): Promise<number> {
  if (entry.method !== 0)
    throw new UserError(`${file}: member '${entry.name}' is compressed (method ${entry.method}); torch.save stores members uncompressed, re-save the checkpoint with torch.save`);
  const h = await readBlock(fh, entry.localOffset, 30, file);
  if (h.getUint32(0, true) !== SIG_LOCAL) throw new UserError(`${file}: corrupt local header for member '${entry.name}'`);
  const start = entry.localOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
  if (start + entry.size > dataLimit)
    throw new UserError(`${file}: member '${entry.name}' extends past the archive data (truncated or corrupt)`);
  return start;
}
