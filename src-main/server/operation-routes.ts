/**
 * The REST adapter over the operation table: one fastify route per row, all alike. The input is the row's one
 * object: path parameters, then the query (GET, DELETE) or the JSON body (the rest: its fields, or the whole body as
 * one field for a row with `bodyField`, whose other fields then come from the query), validated once with the row's
 * schema; the engine method answers; JSON goes back as JSON, bytes with the headers that keep recorded bytes from
 * ever running as one of our pages (a streamed answer piped with back-pressure). The stream
 * row is the WebSocket route (api-server.ts).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../src-shared/errors.js';
import {
  restPathOf,
  CALL_NAMES,
  OPERATIONS,
  parseOperationInput,
  pathParams,
  restCarrier,
  type BytesResult,
  type CallName,
  type OperationName,
  type OperationRow,
} from '../../src-shared/contract.js';
import type { EngineOperations } from '../engine/engine-operations.js';
import { recordedBodyHeaders } from './recorded-body-headers.js';

type Fields = Record<string, unknown>;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** The fields a row's schema knows (its object shape), to leave other query parameters out as HTTP APIs do. */
function knownFields(row: OperationRow): ReadonlySet<string> {
  const shape = (row.input as unknown as { shape?: Record<string, unknown> }).shape;
  return new Set(Object.keys(shape ?? {}));
}

/**
 * The body's fields as fields of `input`. Not Object.assign: JSON.parse keeps a `"__proto__"` key as a plain field,
 * and assigning it would make the object it holds `input`'s prototype, whose fields the schema then reads as if
 * they had been given, past its check for unknown fields. Defined, it is one more unknown field, refused as such.
 */
function copyOwnFields(input: Fields, body: Fields): void {
  for (const key of Object.keys(body)) Object.defineProperty(input, key, { value: body[key], enumerable: true, writable: true, configurable: true });
}

/** One row's input as REST carries it: path parameters win, and the body may not repeat them. */
export function restInput(name: OperationName, request: FastifyRequest): Fields {
  const row: OperationRow = OPERATIONS[name];
  const params = request.params as Record<string, string>;
  const input: Fields = {};
  if (restCarrier(row.method) === 'query') {
    const known = knownFields(row);
    for (const [k, v] of Object.entries(request.query as Fields)) if (known.has(k)) input[k] = v;
  } else if (row.bodyField !== undefined) {
    // The body is that one field; the row's other fields (a name for an imported file) come in the query.
    const known = knownFields(row);
    for (const [k, v] of Object.entries(request.query as Fields)) if (known.has(k) && k !== row.bodyField) input[k] = v;
    if (request.body !== undefined) input[row.bodyField] = request.body;
  } else if (request.body !== undefined) {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ApiError('bad_request', `body: expected a JSON object (${row.what}), got ${kindOf(body)}`, 'body');
    }
    for (const key of pathParams(row.path)) {
      if (Object.hasOwn(body, key)) throw new ApiError('bad_request', `${key}: given in the path; the body must not repeat it`, key);
    }
    copyOwnFields(input, body as Fields);
  }
  for (const key of pathParams(row.path)) input[key] = params[key];
  return input;
}

function sendBytes(reply: FastifyReply, result: BytesResult, inline: boolean): FastifyReply {
  const headers = recordedBodyHeaders(result.contentType, inline);
  if (result.fileName && headers['content-disposition'] === 'attachment') {
    headers['content-disposition'] = `attachment; filename="${result.fileName.replace(/[^\w.-]/g, '_')}"`;
  }
  if (result.stream) {
    // Pulled as the socket drains: a byte-counted buffer of ~1 MiB between the producer and the client, never more.
    const body = Readable.from(result.stream, { objectMode: false, highWaterMark: 1024 * 1024 });
    return reply.headers(headers).send(body);
  }
  return reply.headers(headers).send(Buffer.from(result.bytes.buffer, result.bytes.byteOffset, result.bytes.byteLength));
}

function route(app: FastifyInstance, engine: () => EngineOperations, name: CallName): void {
  const row: OperationRow = OPERATIONS[name];
  app.route({
    method: row.method,
    url: restPathOf(row),
    ...(row.bodyLimit ? { bodyLimit: row.bodyLimit } : {}),
    handler: async (request, reply) => {
      const input = parseOperationInput(name, restInput(name, request));
      const result = await (engine()[name] as (input: unknown) => Promise<unknown>)(input);
      if (row.kind === 'bytes') return sendBytes(reply, result as BytesResult, (input as { inline?: boolean }).inline === true);
      return reply.code(row.status ?? 200).send(result);
    },
  });
}

/** Every row that answers once becomes a route. */
export function registerOperationRoutes(app: FastifyInstance, engine: EngineOperations | (() => EngineOperations)): void {
  const current = typeof engine === 'function' ? engine : () => engine;
  for (const name of CALL_NAMES) route(app, current, name);
}
