/**
 * Map local (the reference's "auto-responder"): a request whose method and route match a mock of the session's
 * namespace is answered from the mock, and the upstream is never contacted. The stage gets plain data (the
 * namespace's servable mocks, already in the order they are tried: priority, then age; see MockStore.snapshot)
 * and compiles it once: routes (src-shared/mock-routes.ts, RE2 for regexes), and each response's status, headers and
 * body bytes. Only route and method are matched, as the reference says; conditions, query and headers are not.
 *
 * The answer: the mock's status (200 when absent), its headers as given (each value of a name's list), and its
 * payload: JSON serialized (application/json unless the mock names a Content-Type), a string as UTF-8 text
 * (text/plain), base64 with `decode: "base64"` as the decoded bytes (application/octet-stream). The proxy sets the
 * framing (Content-Length; none for 204 and 304), so the mock's own Content-Length and Transfer-Encoding are left
 * out. `delay` waits before answering (exchange.delayMs). A `oneOf` mock answers its responses in turn from `offset`
 * ("order") or at random; the turn belongs to the compiled stage, so new mocks start it afresh (and each proxy
 * worker keeps its own). A mock past its ttl is skipped.
 */
import { STATUS_CODES } from 'node:http';
import { RoutePath, compileRoute } from '../../../src-shared/mock-routes.js';
import type { ContentResponse, LocalMock } from '../../../src-shared/mocks.js';
import type { Exchange, LocalAnswer, Stage } from './stage.js';

interface CompiledResponse {
  answer: LocalAnswer;
  delayMs: number;
}

interface CompiledMock {
  id: string;
  expiresAt: number | undefined;
  matches: (method: string, path: RoutePath) => boolean;
  next: () => CompiledResponse;
}

/** No stage without mocks: a session whose namespace has none pays nothing (new mocks recompile the pipeline). */
export function mapLocalStage(mocks: readonly LocalMock[] | undefined): Stage | undefined {
  if (!mocks || mocks.length === 0) return undefined;
  const compiled = mocks.map(compileMock);
  return {
    name: 'map-local',
    answerLocally(exchange: Exchange) {
      const method = exchange.req.method ?? 'GET';
      const path = new RoutePath(exchange.url.pathname || '/');
      const now = Date.now();
      for (const mock of compiled) {
        if (mock.expiresAt !== undefined && mock.expiresAt <= now) continue;
        if (!mock.matches(method, path)) continue;
        const { answer, delayMs } = mock.next();
        exchange.mapLocalMockId = mock.id;
        if (delayMs > 0) exchange.delayMs = delayMs;
        return answer;
      }
      return undefined;
    },
  };
}

function compileMock({ mock, expiresAt }: LocalMock): CompiledMock {
  // The snapshot holds http mocks with a response or a oneOf only (MockStore.snapshot).
  const responses = (mock.oneOf?.responses ?? (mock.response ? [mock.response] : [])).map(compileResponse);
  const random = mock.oneOf?.order === 'random';
  let turn = mock.oneOf?.offset ?? 0;
  return {
    id: mock.id,
    expiresAt,
    matches: compileRoute(mock.http!),
    next: () => {
      const index = random ? Math.floor(Math.random() * responses.length) : turn++ % responses.length;
      return responses[index]!;
    },
  };
}

/** Headers that frame the body: the proxy writes its own. */
const FRAMING = new Set(['content-length', 'transfer-encoding']);

function compileResponse(response: ContentResponse): CompiledResponse {
  const status = response.statusCode ?? 200;
  const { bytes, contentType } = payloadOf(response);
  const headers: string[] = [];
  let typed = false;
  for (const [name, values] of Object.entries(response.headers ?? {})) {
    const lower = name.toLowerCase();
    if (FRAMING.has(lower)) continue;
    if (lower === 'content-type') typed = true;
    for (const value of values) headers.push(name, value);
  }
  const bodyless = status === 204 || status === 304;
  if (!typed && !bodyless && bytes.length > 0) headers.push('Content-Type', contentType);
  if (!bodyless) headers.push('Content-Length', String(bytes.length));
  return {
    answer: { status, message: STATUS_CODES[status] ?? '', headers, body: bodyless ? new Uint8Array(0) : bytes },
    delayMs: response.delay ?? 0,
  };
}

function payloadOf(response: ContentResponse): { bytes: Buffer; contentType: string } {
  const { payload } = response;
  if (response.decode === 'base64') return { bytes: Buffer.from(payload as string, 'base64'), contentType: 'application/octet-stream' };
  if (payload === undefined) return { bytes: Buffer.alloc(0), contentType: 'application/octet-stream' };
  if (typeof payload === 'string') return { bytes: Buffer.from(payload, 'utf8'), contentType: 'text/plain; charset=utf-8' };
  return { bytes: Buffer.from(JSON.stringify(payload), 'utf8'), contentType: 'application/json' };
}
