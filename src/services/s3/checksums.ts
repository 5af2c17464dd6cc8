/**
 * The additional checksums S3 accepts (x-amz-checksum-*): computed to check what clients send.
 * CRC64NVME is stored as sent, not checked.
 */
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

function table(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const CRC32_TABLE = table(0xedb88320);
const CRC32C_TABLE = table(0x82f63b78);

function crc(t: Uint32Array, data: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function crcBase64(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b.toString('base64');
}

const nativeCrc32 = (zlib as unknown as { crc32?: (d: Buffer) => number }).crc32;

/** The checksum S3 would compute, base64 as in the headers; undefined when not checked. */
export function checksumOf(alg: ChecksumAlgorithm, data: Buffer): string | undefined {
  switch (alg) {
    case 'CRC32':
      return crcBase64(nativeCrc32 ? nativeCrc32(data) : crc(CRC32_TABLE, data));
    case 'CRC32C':
      return crcBase64(crc(CRC32C_TABLE, data));
    case 'SHA1':
      return createHash('sha1').update(data).digest('base64');
    case 'SHA256':
      return createHash('sha256').update(data).digest('base64');
    default:
      return undefined;
  }
}
