import { crc32 } from 'node:zlib';

/**
 * How a state is kept on disk: a CRC-32 of the state, then the state. A value whose checksum does not match
 * (a torn write, a flipped bit, someone else's bytes) is reported instead of being served as a caller's history.
 */
export const CHECKSUM_BYTES = 4;

export function seal(state: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(CHECKSUM_BYTES + state.length);
  out.writeUInt32LE(crc32(state), 0);
  out.set(state, CHECKSUM_BYTES);
  return out;
}

/** The state inside a sealed value, or undefined when the value is not intact. */
export function unseal(value: Uint8Array): Uint8Array | undefined {
  if (value.length < CHECKSUM_BYTES) return undefined;
  const view = Buffer.from(value.buffer, value.byteOffset, value.length);
  const state = value.subarray(CHECKSUM_BYTES);
  return view.readUInt32LE(0) === crc32(state) ? state : undefined;
}

/** The format marker every store writes when created; a store without it (or with another) is not ours. */
export const STORE_FORMAT = 'scam-detector/caller-state/1';
