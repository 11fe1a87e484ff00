/**
 * Framing of one record in a segment file (format in segment-types.ts):
 *   u32 LE payload length | u32 LE crc32 (of type byte + payload) | u8 type | payload
 * Encoding never joins the payload: the header is a separate 9-byte buffer, so a 5 MiB body that arrived in chunks
 * is copied once, by the kernel, when it is written.
 */
import zlib from 'node:zlib';
import type { BodySide } from '../store-types.js';
import { RecordType } from './segment-types.js';

export const HEADER_BYTES = 9;
/** The length field is a u32. */
export const MAX_PAYLOAD_BYTES = 0xffff_ffff;

const KNOWN_TYPES = new Set<number>(Object.values(RecordType).filter((v): v is number => typeof v === 'number'));
const TYPE_BYTES = new Map<number, Buffer>([...KNOWN_TYPES].map((t) => [t, Buffer.from([t])]));

export function isRecordType(value: number): value is RecordType {
  return KNOWN_TYPES.has(value);
}

export interface EncodedRecord {
  /** Header first, then the payload chunks as given (not copied). */
  chunks: Buffer[];
  /** Header + payload. */
  length: number;
}

function payloadChunks(payload: Buffer | readonly Buffer[]): Buffer[] {
  const chunks = Buffer.isBuffer(payload) ? [payload] : [...payload];
  for (const chunk of chunks) {
    if (!Buffer.isBuffer(chunk)) throw new TypeError('record payload: expected a Buffer or an array of Buffers');
  }
  return chunks.filter((c) => c.length > 0);
}

export function encodeRecord(type: RecordType, payload: Buffer | readonly Buffer[]): EncodedRecord {
  const typeByte = TYPE_BYTES.get(type);
  if (typeByte === undefined) throw new TypeError(`record type: unknown type ${String(type)}`);
  const chunks = payloadChunks(payload);
  let size = 0;
  let crc = zlib.crc32(typeByte);
  for (const chunk of chunks) {
    size += chunk.length;
    crc = zlib.crc32(chunk, crc);
  }
  if (size > MAX_PAYLOAD_BYTES) throw new RangeError(`record payload: ${size} bytes is more than a record can hold`);
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(size, 0);
  header.writeUInt32LE(crc, 4);
  header[8] = type;
  return { chunks: [header, ...chunks], length: HEADER_BYTES + size };
}

/** A good record, or why there is none at that offset. */
export type DecodeResult =
  | { ok: true; type: RecordType; payload: Buffer; length: number }
  /** The buffer ends before the record does; `length` is the whole record's length when the header was complete. */
  | { ok: false; reason: 'short'; length?: number }
  | { ok: false; reason: 'corrupt'; detail: string };

/** Peeks the whole record length from a complete header, without validating anything. */
export function recordLengthAt(buf: Buffer, offset: number): number | undefined {
  if (buf.length - offset < HEADER_BYTES) return undefined;
  return HEADER_BYTES + buf.readUInt32LE(offset);
}

/** Validates the record starting at `offset`; the payload is a view into `buf` (not copied). */
export function decodeRecordAt(buf: Buffer, offset: number): DecodeResult {
  const length = recordLengthAt(buf, offset);
  if (length === undefined) return { ok: false, reason: 'short' };
  if (buf.length - offset < length) return { ok: false, reason: 'short', length };
  const type = buf[offset + 8]!;
  if (!isRecordType(type)) return { ok: false, reason: 'corrupt', detail: `unknown record type ${type}` };
  const crc = zlib.crc32(buf.subarray(offset + 8, offset + length));
  if (crc !== buf.readUInt32LE(offset + 4)) return { ok: false, reason: 'corrupt', detail: 'checksum mismatch' };
  return { ok: true, type, payload: buf.subarray(offset + HEADER_BYTES, offset + length), length };
}

/** Joins chunks into one Buffer, without a copy when there is only one. */
export function joinChunks(chunks: readonly Buffer[]): Buffer {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}

const SIDES: readonly BodySide[] = ['request', 'response'];
const MAX_ID_BYTES = 0xffff;

/** A Body record's payload: u8 side (0 request, 1 response) | u16 LE id length | entry id (utf8) | bytes. */
export function encodeBodyPayload(side: BodySide, entryId: string, bytes: Buffer | readonly Buffer[]): Buffer[] {
  const sideByte = SIDES.indexOf(side);
  if (sideByte < 0) throw new TypeError(`body side: expected "request" or "response", got ${JSON.stringify(side)}`);
  if (typeof entryId !== 'string' || entryId.length === 0) throw new TypeError('body entry id: expected a non-empty string');
  const id = Buffer.from(entryId, 'utf8');
  if (id.length > MAX_ID_BYTES) throw new RangeError(`body entry id: ${id.length} bytes is more than ${MAX_ID_BYTES}`);
  const prefix = Buffer.allocUnsafe(3 + id.length);
  prefix[0] = sideByte;
  prefix.writeUInt16LE(id.length, 1);
  id.copy(prefix, 3);
  return [prefix, ...payloadChunks(bytes)];
}

export interface BodyPayload {
  side: BodySide;
  entryId: string;
  /** A view into the payload (not copied). */
  bytes: Buffer;
}

export function decodeBodyPayload(payload: Buffer): BodyPayload {
  if (payload.length < 3) throw bodyCorrupt('shorter than its prefix');
  const side = SIDES[payload[0]!];
  if (side === undefined) throw bodyCorrupt(`unknown side ${payload[0]}`);
  const idLength = payload.readUInt16LE(1);
  if (payload.length < 3 + idLength) throw bodyCorrupt('shorter than its entry id');
  return { side, entryId: payload.toString('utf8', 3, 3 + idLength), bytes: payload.subarray(3 + idLength) };
}

function bodyCorrupt(detail: string): Error {
  return Object.assign(new Error(`body record: ${detail}`), { code: 'RECORD_CORRUPT' });
}
