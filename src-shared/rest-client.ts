/**
 * The operation table over REST, for every caller that is not the server: the renderer in a browser and the CLI
 * (and any Node script). One generic request per row: the path filled from the input, the other fields in the query
 * (GET, DELETE) or the JSON body (or, for a row with `bodyField`, that field as the whole body), a JSON answer or
 * bytes. Uses the global `fetch` of browsers and Node 20.
 */
import { API_PREFIX, CALL_NAMES, OPERATIONS, fillPath, restCarrier, restPathOf, type BytesResult, type CallName, type InputOf, type OperationClient, type OperationRow } from './contract.js';
import { isApiErrorBody } from './errors.js';

/** Every error a client raises: the server's `{error, code, field}` plus the HTTP status (0: no answer at all). */
export class RecorderClientError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'RecorderClientError';
  }
}

export interface RestClientOptions {
  /** Origin of the server, e.g. `http://127.0.0.1:5770` (a trailing slash is fine). */
  server: string;
  /** The bearer token; read on every call, so it can change (the UI asks again after a 401). */
  token: () => string | undefined;
  /** Hears every 401 (the UI then asks for the token again). */
  onUnauthorized?: () => void;
}

/** Query string of the fields that are not path parameters; undefined and null are left out. */
export function queryOf(input: Record<string, unknown>, skip: ReadonlySet<string>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(input)) {
    if (skip.has(k) || v === undefined || v === null) continue;
    // The query rows' schemas hold strings, numbers and booleans: JSON spells the last two as String() would.
    search.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  const s = search.toString();
  return s ? `?${s}` : '';
}

/** The request REST carries for `name` with `input`: method, absolute path (query included), JSON body. */
export function restRequestOf(name: CallName, input: Record<string, unknown> = {}): { method: string; path: string; body?: unknown } {
  const row: OperationRow = OPERATIONS[name];
  const { path, used } = fillPath(restPathOf(row), input);
  if (restCarrier(row.method) === 'query') return { method: row.method, path: path + queryOf(input, used) };
  if (row.bodyField !== undefined) {
    // The body is that one field; the row's other fields travel in the query.
    const rest = new Set([...used, row.bodyField]);
    return { method: row.method, path: path + queryOf(input, rest), body: input[row.bodyField] };
  }
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (!used.has(k) && v !== undefined) body[k] = v;
  return { method: row.method, path, body };
}

/** Names of the rows that answer bytes. */
export type BytesCallName = { [N in CallName]: (typeof OPERATIONS)[N]['kind'] extends 'bytes' ? N : never }[CallName];

export type RestClient = OperationClient & {
  /** The API's base URL (server origin + API_PREFIX). */
  readonly base: string;
  /**
   * A bytes row's answer as it arrives: `stream` yields the body's chunks (`bytes` is empty), for writing a large
   * export to a file without holding it. Errors before the body (a 4xx) reject as with the row's own method.
   */
  openBytes<N extends BytesCallName>(name: N, input: InputOf<N>): Promise<BytesResult>;
};

export function createRestClient(options: RestClientOptions): RestClient {
  const origin = options.server.replace(/\/+$/, '');
  const base = origin + API_PREFIX;

  async function request(name: CallName, input: Record<string, unknown> | undefined): Promise<Response> {
    const { method, path, body } = restRequestOf(name, input ?? {});
    const token = options.token();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(origin + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new RecorderClientError(`cannot reach ${origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, 'network', 0);
    }
    if (!response.ok) throw await errorOf(response, method, path, options);
    return response;
  }

  async function send(name: CallName, input: Record<string, unknown> | undefined): Promise<unknown> {
    const response = await request(name, input);
    if (OPERATIONS[name].kind === 'bytes') return bytesOf(response, new Uint8Array(await response.arrayBuffer()));
    return response.json();
  }

  const client: Record<string, unknown> = { base };
  for (const name of CALL_NAMES) client[name] = (input?: Record<string, unknown>) => send(name, input);
  client.openBytes = async (name: CallName, input: Record<string, unknown>) => {
    const response = await request(name, input);
    const result = bytesOf(response, new Uint8Array(0));
    if (response.body) result.stream = chunksOf(response.body);
    return result;
  };
  return client as RestClient;
}

async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // An abandoned download stops the transfer.
    await reader.cancel().catch(() => undefined);
  }
}

function bytesOf(response: Response, bytes: Uint8Array): BytesResult {
  const result: BytesResult = { bytes };
  const contentType = response.headers.get('content-type');
  if (contentType) result.contentType = contentType;
  const fileName = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1];
  if (fileName) result.fileName = fileName;
  return result;
}

async function errorOf(response: Response, method: string, path: string, options: RestClientOptions): Promise<RecorderClientError> {
  if (response.status === 401) options.onUnauthorized?.();
  const text = await response.text().catch(() => '');
  let payload: unknown;
  try {
    payload = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (a proxy's HTML error page, say): the status line is all we have.
  }
  if (isApiErrorBody(payload)) return new RecorderClientError(payload.error, payload.code, response.status, payload.field);
  const what = `${response.status} ${response.statusText || 'error'}`;
  return new RecorderClientError(`${method} ${path.split('?')[0]} failed: HTTP ${what}`, 'http', response.status);
}
