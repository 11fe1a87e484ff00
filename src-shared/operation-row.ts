/**
 * What one row of the operation table (contract.ts) is, and the pieces rows share. Feature tables (mocks-contract.ts,
 * configs-contract.ts) build their rows with `row()` and contract.ts spreads them into OPERATIONS.
 */
import { z } from 'zod';
import { INPUT_LIMITS, queryBoolean } from './schemas.js';

export const API_PREFIX = '/api/v1/recorder';

/** Browsers cannot set headers on a WebSocket: the stream's token travels as a subprotocol `<prefix><token>`. */
export const WS_TOKEN_PROTOCOL_PREFIX = 'traffic-recorder.bearer.';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** `json`: a JSON answer. `bytes`: a file or body ({ bytes, contentType }). `stream`: live messages of a session. */
export type OperationKind = 'json' | 'bytes' | 'stream';

/** What a `bytes` operation answers, on every transport. */
export interface BytesResult {
  /** The bytes; empty when `stream` carries them. */
  bytes: Uint8Array;
  contentType?: string;
  /** Suggested file name (REST sends it in Content-Disposition). */
  fileName?: string;
  /**
   * The bytes as they are produced (a large export), instead of `bytes`. Only inside the engine's own process: REST
   * pipes it with back-pressure, IPC and the engine-process link collect it into `bytes` (see collectBytes).
   */
  stream?: AsyncIterable<Uint8Array>;
}

/**
 * A bytes answer with its `stream` gathered into `bytes`, for the transports that carry one message (IPC, the
 * engine-process link). Past `maxBytes` the stream is abandoned and `tooLarge` says why.
 */
export async function collectBytes(result: BytesResult, maxBytes: number, tooLarge: (maxBytes: number) => Error): Promise<BytesResult> {
  if (!result.stream) return result;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const iterator = result.stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      total += next.value.byteLength;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(next.value);
    }
  } catch (e) {
    await iterator.return?.();
    throw e;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  const { stream: _stream, ...rest } = result;
  void _stream;
  return { ...rest, bytes };
}

export interface OperationRow<S extends z.ZodType = z.ZodType, O = unknown, K extends OperationKind = OperationKind> {
  kind: K;
  method: HttpMethod;
  /** Path under `prefix`, fastify-style parameters (`/:id/entries/:entryId`). */
  path: string;
  /** Where `path` starts (default API_PREFIX); Mockarty's own shapes live beside the recorder's (`/api/v1/mocks`). */
  prefix?: string;
  input: S;
  /** How errors name the input as a whole ("session config", "query"). */
  what: string;
  /** REST status of a success (default 200). */
  status?: number;
  /**
   * REST carries the whole JSON body as this one field of the input (a JSON array, as `POST /api/v1/mocks/batch`
   * takes it), instead of the body's fields side by side.
   */
  bodyField?: string;
  /** The largest JSON body REST accepts for this row, in bytes (default: the server's own limit). */
  bodyLimit?: number;
  /** It may change what the desktop's tray shows (sessions, CA trust, system proxy). */
  mutates?: boolean;
  /** Only a type: what the operation answers. */
  readonly output?: O;
}

/** A row whose output type is `O`: `row<O>()({ ... })` keeps the schema's own type. */
export function row<O, K extends OperationKind = 'json'>() {
  return <S extends z.ZodType>(r: Omit<OperationRow<S, O, K>, 'output'>): OperationRow<S, O, K> => r;
}

export const id = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(INPUT_LIMITS.id, 'is too long');
/** A query-string or structured boolean, false when absent. */
export const flag = queryBoolean(false);

export const none = z.strictObject({});
export const sessionRef = z.strictObject({ id });
export const entryRef = z.strictObject({ id, entryId: id });

/** A row's full REST path, parameters unfilled (`/api/v1/recorder/:id/entries`). */
export function restPathOf(r: Pick<OperationRow, 'path' | 'prefix'>): string {
  return (r.prefix ?? API_PREFIX) + r.path;
}
