/** A mock made from a recorded exchange ("Mock this response"): its method and path, status, headers and body. */
import type { Entry } from '../../../src-shared/model.js';
import type { MockInput } from '../../../src-shared/mocks.js';
import { splitUrl } from '../entries/entry-row.js';

/** Headers that describe the recorded transfer, not the answer: the mock's own framing replaces them. */
const TRANSFER_HEADERS = new Set(['content-length', 'transfer-encoding', 'content-encoding', 'connection', 'keep-alive', 'date']);

/** The route of a recorded URL: its path, without the query string (map local matches the path). */
export function routeOf(url: string): string {
  const path = splitUrl(url).path.split(/[?#]/)[0] ?? '';
  return path.startsWith('/') ? path : `/${path}`;
}

function headersOf(entry: Entry): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of entry.response?.headers ?? []) {
    if (TRANSFER_HEADERS.has(name.toLowerCase())) continue;
    (headers[name] ??= []).push(value);
  }
  return headers;
}

function isText(contentType: string): boolean {
  return /^text\/|json|xml|javascript|x-www-form-urlencoded|graphql/i.test(contentType);
}

function base64Of(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The body as Mockarty's payload: JSON as JSON, text as a string, anything else as base64. */
export function payloadOf(bytes: Uint8Array, contentType: string): { payload?: unknown; decode?: 'base64' } {
  if (bytes.length === 0) return {};
  if (isText(contentType)) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    if (/json/i.test(contentType)) {
      try {
        return { payload: JSON.parse(text) as unknown };
      } catch {
        return { payload: text };
      }
    }
    return { payload: text };
  }
  return { payload: base64Of(bytes), decode: 'base64' };
}

/** `body`: the response body decoded from its Content-Encoding (null when there is none). */
export function mockFromEntry(entry: Entry, body: Uint8Array | null, namespace: string): MockInput {
  const status = entry.response?.statusCode ?? 200;
  const contentType = entry.response?.body.contentType ?? '';
  return {
    namespace,
    tags: ['recorded'],
    http: { route: routeOf(entry.request.url), httpMethod: entry.request.method },
    response: {
      // The mock format answers 200-599 only.
      statusCode: status >= 200 && status <= 599 ? status : 200,
      headers: headersOf(entry),
      ...(body ? payloadOf(body, contentType) : {}),
    },
  };
}
