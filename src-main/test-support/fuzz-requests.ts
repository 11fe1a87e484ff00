/**
 * Generated hostile HTTP/1 input for the fuzz test: raw bytes for a net socket, deterministic from (seed, index), so
 * any case a run reports can be rebuilt alone (`FUZZ_SEED=s FUZZ_ONLY=i`).
 *
 * Every case must be harmless to the machine and to the data the test checks, whatever the server does with it:
 * the auth bypass it hunts for may still be open, so "the server should refuse this" is no protection. Hence the
 * API vocabulary has no machine-changing route (trust store, system proxy, browser, CA generation), no stop or
 * restart, DELETE only ever names an id that does not exist, and `/start` bodies are always invalid. Proxy cases only
 * reach the test's own upstream, a closed port, the proxy itself or names the loopback-only policy refuses.
 */

export type Rng = () => number;

/** mulberry32: a tiny, well-mixed 32-bit PRNG; enough for test input, trivially reproducible. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const chance = (rng: Rng, p: number) => rng() < p;
const randomBytes = (rng: Rng, n: number) => Buffer.from(Array.from({ length: n }, () => int(rng, 0, 255)));
const randomAscii = (rng: Rng, n: number) => String.fromCharCode(...Array.from({ length: n }, () => int(rng, 32, 126)));

export type FuzzTarget = 'api' | 'reverse' | 'forward';
export type FuzzAuth = 'none' | 'wrong' | 'valid';

export interface FuzzContext {
  apiPort: number;
  token: string;
  reversePort: number;
  forwardPort: number;
  upstreamPort: number;
  /** A loopback port nothing listens on. */
  closedPort: number;
  /**
   * An address the loopback-only policy must refuse that still stays on this machine if it escapes (one of its own
   * non-loopback interface addresses); the fuzz never names a host that would need DNS or the network.
   */
  foreignHost: string;
  sessionIds: string[];
  entryIds: string[];
}

export interface FuzzRequest {
  method: string;
  path: string;
  auth: FuzzAuth;
}

export interface FuzzCase {
  index: number;
  family: string;
  target: FuzzTarget;
  /** What the API should take the caller for: judged on every answer to a case that is not 'valid'. */
  auth: FuzzAuth;
  /** The requests in the order their answers should come (pipelining); empty when unknown (random bytes). */
  requests: FuzzRequest[];
  /** Written one after the other, each in its own write. */
  chunks: Buffer[];
  /** Keep the socket open after writing (half-sent, upgrades) instead of half-closing it. */
  hold: boolean;
  /** Open with TLS (rejectUnauthorized off) and this SNI, then write the chunks inside. */
  tls?: { servername: string };
}

const portOf = (ctx: FuzzContext, target: FuzzTarget) =>
  target === 'api' ? ctx.apiPort : target === 'reverse' ? ctx.reversePort : ctx.forwardPort;

function hostHeader(rng: Rng, ctx: FuzzContext, target: FuzzTarget): string {
  // The API refuses a foreign Host with 403 before anything else: mostly send its own, or the fuzz sees only 403s.
  if (target === 'api') return chance(rng, 0.9) ? `127.0.0.1:${ctx.apiPort}` : pick(rng, [`localhost:${ctx.apiPort}`, 'evil.example', '', `127.0.0.1:${ctx.apiPort} `]);
  return `127.0.0.1:${pick(rng, [ctx.upstreamPort, portOf(ctx, target), ctx.closedPort])}`;
}

// ---------------------------------------------------------------------------------------------------------------
// API paths: a safe vocabulary, then spellings that a guard on the raw URL and a router on the decoded one read
// differently.

const FAKE_ID = '00000000-0000-4000-8000-000000000000';

function apiBasePath(rng: Rng, ctx: FuzzContext, destructive: boolean): string {
  const sid = destructive || ctx.sessionIds.length === 0 ? FAKE_ID : pick(rng, ctx.sessionIds);
  const eid = destructive || ctx.entryIds.length === 0 ? FAKE_ID : pick(rng, ctx.entryIds);
  return pick(rng, [
    '/api/v1/recorder/sessions',
    '/api/v1/recorder/ports',
    `/api/v1/recorder/port-check?port=${pick(rng, ['8085', 'x', '-1', '99999', '8085&port=8086', ''])}`,
    `/api/v1/recorder/${sid}`,
    `/api/v1/recorder/${sid}/entries?limit=${pick(rng, ['2', '-1', 'x', '1e9', '0'])}&bodies=${pick(rng, ['true', 'false', 'x'])}`,
    `/api/v1/recorder/${sid}/entries/${eid}`,
    `/api/v1/recorder/${sid}/entries/${eid}/body/${pick(rng, ['request', 'response', 'x', ''])}${pick(rng, ['', '?decoded=1'])}`,
    `/api/v1/recorder/${sid}/entries/search?q=${pick(rng, ['a', 'a&q=b', '%00', '%', ''])}`,
    `/api/v1/recorder/${sid}/setup`,
    `/api/v1/recorder/${sid}/ws`,
    '/api/v1/recorder/ca/status',
    '/api/v1/recorder/ca/download',
    `/api/v1/recorder/${FAKE_ID}/entries`,
    '/api/v1/recorder/nonexistent/deeper/path',
    '/api/v1/health',
    '/api/v2/anything',
    '/ui/recorder/',
    '/ui/recorder/index.html',
    '/',
  ]);
}

const encodeChar = (c: string, upper: boolean) => {
  const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? hex.toUpperCase() : hex}`;
};

/** One rewrite of a path that resolves to the same resource for a lenient reader (or an attacker's hope of it). */
const PATH_TRANSFORMS: ReadonlyArray<(rng: Rng, path: string) => string> = [
  (rng, p) => {
    const at = int(rng, 1, Math.max(1, p.indexOf('?') > 0 ? p.indexOf('?') - 1 : p.length - 1));
    return p[at] === '/' || p[at] === undefined ? p : p.slice(0, at) + encodeChar(p[at], chance(rng, 0.5)) + p.slice(at + 1);
  },
  (_rng, p) => p.replace('/api', '/%61pi'),
  (_rng, p) => p.replace('/api', '/%2561pi'),
  (_rng, p) => `/${p}`,
  (_rng, p) => p.replace('/v1/', '/./v1/'),
  (_rng, p) => p.replace('/v1/', '//v1/'),
  (_rng, p) => p.replace('/v1/', '/x/../v1/'),
  (_rng, p) => p.replace('/v1/', '/x/%2e%2e/v1/'),
  (_rng, p) => p.replace('/v1/', '/x%2f..%2fv1/'),
  (_rng, p) => p.replace(/\//g, (m, i: number) => (i === 0 ? m : '%2f')),
  (_rng, p) => p.replace('/api/v1/recorder', '/api/v1/health/../recorder'),
  (_rng, p) => p.replace('/api/v1/recorder', '/api/v1/health%2f..%2frecorder'),
  (_rng, p) => p.replace('/api/v1/recorder', '/api/v1/health/..%2f..%2fv1/recorder'),
  (_rng, p) => `/ui/recorder/../..${p}`,
  (_rng, p) => `/ui/recorder/%2e%2e/%2e%2e${p}`,
  (_rng, p) => p.replace('/api', '/API'),
  (_rng, p) => p.replace('/api', '\\api'),
  (rng, p) => `${p}${pick(rng, ['%00', '\u0000', ';x', '/', '/.', '/..', '#frag', '%', '%zz', '%c0%af', '..%2f', '%2e'])}`,
  (_rng, p) => p.replace('/api/v1/recorder/', '/api/v1/recorder/..%2f'),
  (rng, p) => `http://127.0.0.1:${int(rng, 1, 65535)}${p}`,
];

function mutatePath(rng: Rng, path: string): string {
  let out = path;
  // Mostly one rewrite: a single odd spelling of a real route is what slips past a guard; stacks mostly 404.
  for (let n = pick(rng, [1, 1, 1, 1, 2, 2, 3]); n > 0; n--) out = pick(rng, PATH_TRANSFORMS)(rng, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Pieces of a request.

const METHODS = ['GET', 'GET', 'GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'OPTIONS', 'TRACE', 'DELETE', 'CONNECT', 'PRI', 'PROPFIND'];
const BAD_METHODS = ['get', 'G ET', 'GET\u0000', 'GÉT', '', ' GET', 'GET\t', 'X'.repeat(2000), 'ПОСТ', '(', 'GET:'];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/9.9', 'http/1.1', 'HTTP/1.1 x', 'HTTP/1.10', 'HTTP/1', 'HTTP/', 'HTTPS/1.1', ''];
const EOLS = ['\r\n', '\r\n', '\r\n', '\n', '\r', '\n\r', '\r\r\n'];

function proxyPath(rng: Rng, ctx: FuzzContext, target: FuzzTarget): string {
  const path = pick(rng, ['/json', '/json?x=1', '/gzip', '/echo', '/status/500', '/status/204', '/status/304', '/bytes?size=10', '/', '/a/../../b', '/%2e%2e/%00', '/ä', '/\u007f', '/a b', '*', '']);
  if (target !== 'forward' || chance(rng, 0.1)) return path;
  const authority = pick(rng, [
    `127.0.0.1:${ctx.upstreamPort}`,
    `127.0.0.1:${ctx.upstreamPort}`,
    `localhost:${ctx.upstreamPort}`,
    `127.0.0.1:${ctx.forwardPort}`,
    `127.0.0.1:${ctx.closedPort}`,
    `[::1]:${ctx.upstreamPort}`,
    ctx.foreignHost,
    `${ctx.foreignHost}:${ctx.upstreamPort}`,
    '127.0.0.1:99999',
    '127.0.0.1:',
    '',
    '%00',
  ]);
  return `${pick(rng, ['http://', 'http://', 'https://', 'ws://', 'ftp://', 'HTTP://', 'http:/', ''])}${authority}${path.startsWith('/') ? path : `/${path}`}`;
}

function authHeader(rng: Rng, ctx: FuzzContext, auth: FuzzAuth): string[] {
  if (auth === 'none') return chance(rng, 0.8) ? [] : [pick(rng, ['Authorization:', 'Authorization: Bearer', 'Authorization: Basic Zm9vOmJhcg=='])];
  if (auth === 'valid') return [pick(rng, [`Authorization: Bearer ${ctx.token}`, `authorization: bearer ${ctx.token}`, `Authorization:   Bearer   ${ctx.token}  `])];
  return [
    pick(rng, [
      `Authorization: Bearer ${ctx.token}x`,
      `Authorization: Bearer ${ctx.token.slice(0, -1)}`,
      `Authorization: Bearer ${ctx.token.toUpperCase()}`,
      `Authorization: Bearer ${ctx.token}\u0000`,
      `Authorization: Bearer x${ctx.token}`,
      `Authorization: Basic ${Buffer.from(`x:${ctx.token}`).toString('base64')}`,
      `Authorization: Bearer ${randomAscii(rng, 48)}`,
      `Sec-WebSocket-Protocol: traffic-recorder.bearer.${ctx.token}x`,
      'Authorization: Bearer ' + 'A'.repeat(int(rng, 1000, 20_000)),
    ]),
  ];
}

/** Header lines that mangle framing or syntax; each entry is one or more lines. */
function hostileHeaders(rng: Rng, ctx: FuzzContext, target: FuzzTarget): string[] {
  const host = hostHeader(rng, ctx, target);
  return pick(rng, [
    ['X-Fold: a', ' b'],
    ['X-Fold: a', '\tb'],
    [`X-Nul: a\u0000b`],
    [`X-Cr: a\rb`],
    [`Host: ${host}`],
    [`Host: ${ctx.foreignHost}`],
    ['Host:'],
    [`Host: ${host}, ${host}`],
    ['Content-Length: 5', 'Content-Length: 6'],
    ['Content-Length: 5', 'Content-Length: 5'],
    ['Content-Length: 5, 5'],
    [`Content-Length: ${pick(rng, ['-1', '+5', ' 5', '0x5', '5.0', '99999999999999999999', '1e3', '', 'abc', '５'])}`],
    ['Content-Length: 4', 'Transfer-Encoding: chunked'],
    ['Transfer-Encoding: chunked', 'Content-Length: 4'],
    ['Transfer-Encoding: chunked'],
    ['Transfer-Encoding: gzip, chunked'],
    ['Transfer-Encoding: chunked, gzip'],
    ['Transfer-Encoding: xchunked'],
    ['Transfer-Encoding : chunked'],
    ['Transfer-Encoding: \u000bchunked'],
    ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity'],
    [' Transfer-Encoding: chunked'],
    ['X Bad Name: 1'],
    ['NoColonHere'],
    [': empty-name'],
    [`X-Huge: ${'h'.repeat(int(rng, 8_000, 90_000))}`],
    Array.from({ length: int(rng, 100, 400) }, (_, i) => `X-Many-${i}: ${i}`),
    [`X-Utf8: ${'é✓'.repeat(int(rng, 1, 50))}`],
    [`X-Latin1: \u00ff\u00fe`],
    ['Expect: 100-continue'],
    ['Expect: 999-nope'],
    ['Connection: close, Upgrade, keep-alive, X-Hop', 'X-Hop: 1'],
    ['Connection: Transfer-Encoding'],
    ['Proxy-Connection: keep-alive', 'Proxy-Authorization: Basic eDp5'],
    ['Content-Encoding: gzip', 'Content-Type: application/json; charset=utf-16'],
    ['Upgrade: h2c', 'Connection: Upgrade, HTTP2-Settings', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'],
    ['Origin: http://evil.example'],
    ['Origin: null'],
    ['Max-Forwards: 0'],
    ['Via: 1.1 traffic-recorder'],
    ['X-Forwarded-For: 127.0.0.1', 'Forwarded: for=127.0.0.1;host=evil'],
    [randomAscii(rng, int(rng, 1, 200))],
  ]);
}

function requestHead(lines: string[], eol: string): Buffer {
  return Buffer.from(lines.join(eol) + eol + eol, 'latin1');
}

interface Built {
  family: string;
  target: FuzzTarget;
  auth: FuzzAuth;
  requests: FuzzRequest[];
  chunks: Buffer[];
  hold?: boolean;
  tls?: { servername: string };
}

function chooseAuth(rng: Rng, target: FuzzTarget): FuzzAuth {
  if (target !== 'api') return pick(rng, ['none', 'none', 'wrong', 'valid'] as const);
  return pick(rng, ['none', 'none', 'wrong', 'valid'] as const);
}

function pathFor(rng: Rng, ctx: FuzzContext, target: FuzzTarget, method: string): string {
  if (target !== 'api') return proxyPath(rng, ctx, target);
  const destructive = !['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND'].includes(method);
  const base = apiBasePath(rng, ctx, destructive);
  return chance(rng, 0.5) ? mutatePath(rng, base) : base;
}

/** A plausible request (valid line, Host, auth) plus optional extra header lines and body. */
function simpleRequest(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth, extra: string[] = [], body = ''): { bytes: Buffer; request: FuzzRequest } {
  const method = pick(rng, ['GET', 'GET', 'POST', 'HEAD', 'PATCH']);
  const path = pathFor(rng, ctx, target, method);
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${hostHeader(rng, ctx, target)}`, ...authHeader(rng, ctx, auth), ...extra];
  if (body && !extra.some((l) => /^(content-length|transfer-encoding)/i.test(l))) lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  return { bytes: Buffer.concat([requestHead(lines, '\r\n'), Buffer.from(body, 'latin1')]), request: { method, path, auth } };
}

// ---------------------------------------------------------------------------------------------------------------
// Families.

function requestLineFamily(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth): Built {
  const method = chance(rng, 0.75) ? pick(rng, METHODS) : pick(rng, BAD_METHODS);
  let path = pathFor(rng, ctx, target, method === 'DELETE' || method.startsWith('DEL') ? 'DELETE' : method);
  if (chance(rng, 0.15)) path = `/${'u'.repeat(int(rng, 4_000, 120_000))}`;
  if (chance(rng, 0.1)) path = pick(rng, ['*', '', ' ', '//', 'http://', `127.0.0.1:${ctx.upstreamPort}`, '/\u0000', '/%00', '/ä', '\u00ff']);
  const version = pick(rng, VERSIONS);
  const eol = pick(rng, EOLS);
  const line = version === '' ? `${method} ${path}` : `${method}${pick(rng, [' ', ' ', ' ', '  ', '\t'])}${path} ${version}`;
  const lines = version === '' && chance(rng, 0.5) ? [line] : [line, `Host: ${hostHeader(rng, ctx, target)}`, ...authHeader(rng, ctx, auth)];
  const bytes = version === '' && lines.length === 1 ? Buffer.from(line + eol, 'latin1') : requestHead(lines, eol);
  return { family: 'request-line', target, auth, requests: [{ method, path, auth }], chunks: [bytes] };
}

function headerFamily(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth): Built {
  const extra = Array.from({ length: int(rng, 1, 3) }, () => hostileHeaders(rng, ctx, target)).flat();
  const body = chance(rng, 0.4) ? '{"tags":["fuzz"]}' : '';
  const { bytes, request } = simpleRequest(rng, ctx, target, auth, extra, body);
  return { family: 'headers', target, auth, requests: [request], chunks: [bytes] };
}

function chunkedBody(rng: Rng): string {
  const data = randomAscii(rng, int(rng, 0, 40));
  return pick(rng, [
    `${data.length.toString(16)}\r\n${data}\r\n0\r\n\r\n`,
    `zz\r\n${data}\r\n0\r\n\r\n`,
    `-1\r\n${data}\r\n0\r\n\r\n`,
    `ffffffffffffffffffff\r\n${data}\r\n0\r\n\r\n`,
    `0x5\r\nhello\r\n0\r\n\r\n`,
    ` 5\r\nhello\r\n0\r\n\r\n`,
    `5 \r\nhello\r\n0\r\n\r\n`,
    `5;ext=1\r\nhello\r\n0;last\r\n\r\n`,
    `5;${'e'.repeat(int(rng, 1_000, 20_000))}\r\nhello\r\n0\r\n\r\n`,
    `5\r\nhelloXX0\r\n\r\n`,
    `5\nhello\n0\n\n`,
    `5\rhello\r0\r\r`,
    `5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n`,
    `5\r\nhello\r\n0\r\nX-Trailer: ${'t'.repeat(int(rng, 10_000, 70_000))}\r\n\r\n`,
    `5\r\nhello\r\n0\r\nBad Trailer\r\n\r\n`,
    `5\r\nhello\r\n`,
    `a\r\nhello\r\n`,
    `5\r\nhello\r\n0\r\n\r\nGARBAGE AFTER LAST CHUNK\r\n\r\n`,
    `${'0'.repeat(int(rng, 100, 5000))}5\r\nhello\r\n0\r\n\r\n`,
  ]);
}

function chunkedFamily(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth): Built {
  const te = pick(rng, ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked', 'Transfer-Encoding: Chunked', 'transfer-encoding: chunked, chunked']);
  const method = target === 'api' ? 'PATCH' : 'POST';
  const path = pathFor(rng, ctx, target, method);
  const head = requestHead([`${method} ${path} HTTP/1.1`, `Host: ${hostHeader(rng, ctx, target)}`, ...authHeader(rng, ctx, auth), te, 'Content-Type: application/json'], '\r\n');
  const body = Buffer.from(chunkedBody(rng), 'latin1');
  const split = int(rng, 0, body.length);
  const chunks = chance(rng, 0.3) ? [head, body.subarray(0, split), body.subarray(split)] : [Buffer.concat([head, body])];
  return { family: 'chunked', target, auth, requests: [{ method, path, auth }], chunks };
}

/** Shapes where a front end and a back end might disagree on where one request ends and the next begins. */
function smugglingFamily(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth): Built {
  const host = hostHeader(rng, ctx, target);
  const hidden = simpleRequest(rng, ctx, target, pick(rng, ['none', 'wrong'] as const));
  const hiddenText = hidden.bytes.toString('latin1');
  const method = pick(rng, ['POST', 'GET']);
  const path = pathFor(rng, ctx, target, 'POST');
  const auths = authHeader(rng, ctx, auth);
  const shapes: string[][] = [
    // CL.TE
    [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...auths, `Content-Length: ${hiddenText.length + 5}`, 'Transfer-Encoding: chunked', '', `0\r\n\r\n${hiddenText}`],
    // TE.CL
    [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...auths, 'Content-Length: 4', 'Transfer-Encoding: chunked', '', `${hiddenText.length.toString(16)}\r\n${hiddenText}\r\n0\r\n\r\n`],
    // TE.TE with an obfuscated second TE
    [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...auths, 'Transfer-Encoding: chunked', `Transfer-Encoding: ${pick(rng, ['x', 'chunked ', ' chunked', 'identity', 'chunk'])}`, '', `0\r\n\r\n${hiddenText}`],
    // A body on GET holding a whole request
    [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...auths, `Content-Length: ${hiddenText.length}`, '', hiddenText],
    // Content-Length shorter than the body: the rest reads as a second request
    [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...auths, 'Content-Length: 0', '', hiddenText],
    // A bare LF inside the header block separating two requests
    [`${method} ${path} HTTP/1.1`, `Host: ${host}`, `X-Split: a\n\n${hiddenText}`],
  ];
  const lines = pick(rng, shapes);
  const headEnd = lines.indexOf('');
  const text = headEnd < 0 ? lines.join('\r\n') + '\r\n\r\n' : lines.slice(0, headEnd).join('\r\n') + '\r\n\r\n' + lines.slice(headEnd + 1).join('');
  return { family: 'smuggling', target, auth, requests: [{ method, path, auth }, hidden.request], chunks: [Buffer.from(text, 'latin1')] };
}

function encodedPathFamily(rng: Rng, ctx: FuzzContext, _target: FuzzTarget, auth: FuzzAuth): Built {
  const method = pick(rng, ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS']);
  const destructive = method === 'POST' || method === 'DELETE';
  const path = mutatePath(rng, apiBasePath(rng, ctx, destructive));
  const body = method === 'POST' ? '{"listenPort":1}' : method === 'PATCH' ? '{"notes":"fuzz"}' : '';
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${hostHeader(rng, ctx, 'api')}`, ...authHeader(rng, ctx, auth)];
  if (body) lines.push('Content-Type: application/json', `Content-Length: ${body.length}`);
  return { family: 'encoded-path', target: 'api', auth, requests: [{ method, path, auth }], chunks: [Buffer.concat([requestHead(lines, '\r\n'), Buffer.from(body)])] };
}

/** Routes that answer 2xx with data: what an auth bypass would hand out. */
function dataRoute(rng: Rng, ctx: FuzzContext): string {
  const sid = ctx.sessionIds.length ? pick(rng, ctx.sessionIds) : FAKE_ID;
  const eid = ctx.entryIds.length ? pick(rng, ctx.entryIds) : FAKE_ID;
  return pick(rng, [
    '/api/v1/recorder/sessions',
    '/api/v1/recorder/ports',
    '/api/v1/recorder/port-check?port=8999',
    `/api/v1/recorder/${sid}`,
    `/api/v1/recorder/${sid}/entries`,
    `/api/v1/recorder/${sid}/entries/${eid}`,
    `/api/v1/recorder/${sid}/entries/${eid}/body/response`,
    `/api/v1/recorder/${sid}/entries/search?q=a`,
    `/api/v1/recorder/${sid}/setup`,
    '/api/v1/recorder/ca/status',
  ]);
}

/** Encode one character of the path (not a slash, not the query): the router decodes it, a raw-URL guard does not. */
function encodeOneChar(rng: Rng, path: string): string {
  const end = path.includes('?') ? path.indexOf('?') : path.length;
  const candidates = [...path.slice(0, end)].map((c, i) => (c === '/' ? -1 : i)).filter((i) => i >= 0);
  const at = pick(rng, candidates);
  return path.slice(0, at) + encodeChar(path[at]!, chance(rng, 0.5)) + path.slice(at + 1);
}

/** No or a wrong token, a well-formed request, one odd spelling of a route that hands out data (issue 8 point 1). */
function authProbeFamily(rng: Rng, ctx: FuzzContext, _target: FuzzTarget, auth: FuzzAuth): Built {
  const who = auth === 'valid' ? 'none' : auth;
  const ws = chance(rng, 0.15);
  const route = ws ? `/api/v1/recorder/${ctx.sessionIds.length ? pick(rng, ctx.sessionIds) : FAKE_ID}/ws` : dataRoute(rng, ctx);
  const target = chance(rng, 0.4) ? encodeOneChar(rng, route) : mutatePath(rng, route);
  const method = ws ? 'GET' : pick(rng, ['GET', 'GET', 'GET', 'HEAD']);
  const upgrade = ws ? ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='] : [];
  const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${ctx.apiPort}`, ...authHeader(rng, ctx, who), ...upgrade];
  return { family: 'auth-probe', target: 'api', auth: who, requests: [{ method, path: target, auth: who }], chunks: [requestHead(lines, '\r\n')] };
}

const ODD_QUERIES = ['q=a&q=b', 'q[]=a', 'q[a]=b', 'q=%', 'q=%ff%fe', 'q=' + 'x'.repeat(5000), 'limit=1&limit=2', 'offset=1&offset=x', 'bodies=true&bodies=false', 'decoded=1&decoded=0', 'port=8085&port=8086', 'port=1e3', 'port=0x1f90', 'batch=1&batch=0', '__proto__=1', 'constructor=x', '&&&', '=', 'a=b=c'];

/** With the token: the routes' own input checks, fed duplicate, array-like and malformed query parameters. */
function apiQueryFamily(rng: Rng, ctx: FuzzContext, _target: FuzzTarget, auth: FuzzAuth): Built {
  const sid = ctx.sessionIds.length ? pick(rng, ctx.sessionIds) : FAKE_ID;
  const eid = ctx.entryIds.length ? pick(rng, ctx.entryIds) : FAKE_ID;
  const route = pick(rng, [`/api/v1/recorder/${sid}/entries/search`, `/api/v1/recorder/${sid}/entries`, '/api/v1/recorder/port-check', `/api/v1/recorder/${sid}/entries/${eid}/body/${pick(rng, ['request', 'response'])}`, '/api/v1/recorder/sessions', `/api/v1/recorder/${sid}`, `/api/v1/recorder/${pick(rng, [sid, FAKE_ID, 'x'.repeat(3000), '%00', '..', '%2e%2e'])}/entries/${pick(rng, [eid, FAKE_ID, 'x', ''])}`]);
  const query = Array.from({ length: int(rng, 1, 3) }, () => pick(rng, ODD_QUERIES)).join('&');
  const path = `${route}?${query}`;
  const who = chance(rng, 0.8) ? 'valid' : auth;
  const method = pick(rng, ['GET', 'GET', 'GET', 'HEAD']);
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${ctx.apiPort}`, ...authHeader(rng, ctx, who)];
  return { family: 'api-query', target: 'api', auth: who, requests: [{ method, path, auth: who }], chunks: [requestHead(lines, '\r\n')] };
}

const START_BODIES = [
  '{',
  '[]',
  'null',
  '"text"',
  '{"listenPort":1}',
  '{"listenPort":"8555","targetUrl":5}',
  '{"listenPort":1,"targetUrl":"http://127.0.0.1:1","toxics":[{}]}',
  '{"listenPort":1,"mode":"sideways"}',
  '{"listenPort":1,"targetUrl":"http://x","filters":{"includePaths":"a"}}',
  '{"listenPort":1,"__proto__":{"admin":true}}',
  '{"listenPort":1,"constructor":{"prototype":{"x":1}}}',
  '{"listenPort":1,"name":"\\ud800"}',
];

/** Bodies for the JSON endpoints: broken JSON, wrong types, deep nesting, prototype keys. Never a valid /start. */
function apiBodyFamily(rng: Rng, ctx: FuzzContext, _target: FuzzTarget, auth: FuzzAuth): Built {
  const start = chance(rng, 0.5);
  const sid = ctx.sessionIds.length ? pick(rng, ctx.sessionIds) : FAKE_ID;
  const eid = ctx.entryIds.length ? pick(rng, ctx.entryIds) : FAKE_ID;
  const path = start ? '/api/v1/recorder/start' : `/api/v1/recorder/${sid}/entries/${eid}`;
  const depth = int(rng, 100, 20_000);
  const body = start
    ? chance(rng, 0.2) ? `{"listenPort":1,"deep":${'['.repeat(depth)}${']'.repeat(depth)}}` : pick(rng, START_BODIES)
    : pick(rng, ['{"tags":"a"}', '{"tags":[1,2]}', '{"notes":5}', '[]', '{', `{"notes":"${'n'.repeat(int(rng, 1, 100_000))}"}`, '{"tags":["fuzz"],"notes":"fuzz"}', `{"tags":${'['.repeat(depth)}${']'.repeat(depth)}}`]);
  const contentType = pick(rng, ['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=latin1', '']);
  const lines = [`${start ? 'POST' : 'PATCH'} ${path} HTTP/1.1`, `Host: ${hostHeader(rng, ctx, 'api')}`, ...authHeader(rng, ctx, auth), `Content-Length: ${Buffer.byteLength(body)}`];
  if (contentType) lines.push(`Content-Type: ${contentType}`);
  return { family: 'api-body', target: 'api', auth, requests: [{ method: start ? 'POST' : 'PATCH', path, auth }], chunks: [Buffer.concat([requestHead(lines, '\r\n'), Buffer.from(body)])] };
}

function upgradeFamily(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth): Built {
  const sid = ctx.sessionIds.length ? pick(rng, ctx.sessionIds) : FAKE_ID;
  const path = target === 'api' ? pick(rng, [`/api/v1/recorder/${sid}/ws`, `/%61pi/v1/recorder/${sid}/ws`, `/api/v1/recorder/${sid}/ws?batch=1`, `/api//v1/recorder/${sid}/ws`]) : proxyPath(rng, ctx, target);
  const key = pick(rng, ['dGhlIHNhbXBsZSBub25jZQ==', '', 'short', '!!!!not base64!!!!==', 'dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ==', 'A'.repeat(5000)]);
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${hostHeader(rng, ctx, target)}`,
    ...authHeader(rng, ctx, auth),
    pick(rng, ['Upgrade: websocket', 'Upgrade: WebSocket', 'Upgrade: h2c', 'Upgrade: websocket, h2c', 'Upgrade: tls/1.0', 'Upgrade:']),
    pick(rng, ['Connection: Upgrade', 'Connection: keep-alive, Upgrade', 'Connection: close', 'Connection: upgrade, HTTP2-Settings']),
    `Sec-WebSocket-Version: ${pick(rng, ['13', '13', '8', '14', 'abc', '', '13, 8'])}`,
    ...(chance(rng, 0.85) ? [`Sec-WebSocket-Key: ${key}`] : []),
    ...(chance(rng, 0.3) ? [`Sec-WebSocket-Protocol: ${pick(rng, ['traffic-recorder.bearer.', 'chat', 'a,,b', `traffic-recorder.bearer.${'x'.repeat(40)}`])}`] : []),
    ...(chance(rng, 0.2) ? [`Sec-WebSocket-Extensions: ${pick(rng, ['permessage-deflate; client_max_window_bits=99', 'x-unknown', 'permessage-deflate;;;'])}`] : []),
    ...(chance(rng, 0.2) ? ['HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'] : []),
  ];
  // After the handshake: a masked frame with a bad opcode, an unmasked frame, or HTTP/2 bytes.
  const after = pick(rng, [Buffer.from([0x83, 0x80, 1, 2, 3, 4]), Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]), Buffer.from([0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), H2_PREFACE, randomBytes(rng, int(rng, 1, 300))]);
  return { family: 'upgrade', target, auth, requests: [{ method: 'GET', path, auth }], chunks: [requestHead(lines, '\r\n'), after], hold: chance(rng, 0.5) };
}

const H2_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  // An empty SETTINGS frame, then a HEADERS frame with junk HPACK on stream 1.
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
  Buffer.from([0, 0, 5, 1, 5, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff]),
]);

function tlsClientHello(rng: Rng): Buffer {
  const body = randomBytes(rng, int(rng, 0, 600));
  const declared = chance(rng, 0.5) ? body.length : int(rng, 0, 0xffff);
  return Buffer.concat([Buffer.from([0x16, 0x03, pick(rng, [0, 1, 3, 4]), declared >> 8, declared & 0xff, 0x01]), body]);
}

/** Not HTTP/1 at all: HTTP/2 prefaces, TLS-looking bytes, SSL2, random bytes, HTTP/0.9. */
function otherProtocolFamily(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth): Built {
  const bytes = pick(rng, [
    () => H2_PREFACE,
    () => Buffer.concat([H2_PREFACE, randomBytes(rng, int(rng, 1, 500))]),
    () => tlsClientHello(rng),
    () => Buffer.from([0x80, 0x2e, 0x01, 0x00, 0x02, ...randomBytes(rng, 40)]),
    () => randomBytes(rng, int(rng, 1, 4096)),
    () => Buffer.from(randomAscii(rng, int(rng, 1, 2000)).replace(/~/g, '\r\n'), 'latin1'),
    () => Buffer.from(`GET ${pathFor(rng, ctx, target, 'GET')}\r\n`, 'latin1'),
    () => Buffer.from('\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'),
    () => Buffer.alloc(int(rng, 1, 70_000), 0),
  ])();
  return { family: 'other-protocol', target, auth, requests: [], chunks: [bytes], hold: chance(rng, 0.2) };
}

/** A real TLS handshake (as mockttp's sniffing expects) with odd SNI, then HTTP or junk inside. */
function tlsFamily(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth): Built {
  const servername = pick(rng, ['localhost', '127.0.0.1', ctx.foreignHost, 'a'.repeat(250), 'xn--zz', '-bad-', 'under_score', 'x..y']);
  const plain = chance(rng, 0.7) ? simpleRequest(rng, ctx, target, auth) : undefined;
  const inner = plain?.bytes ?? randomBytes(rng, int(rng, 1, 500));
  const tlsRequests = plain ? [plain.request] : [];
  return { family: 'tls', target, auth, requests: tlsRequests, chunks: [inner], tls: { servername } };
}

function connectFamily(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth): Built {
  const authority = pick(rng, [
    `127.0.0.1:${ctx.upstreamPort}`,
    `127.0.0.1:${ctx.upstreamPort}`,
    `localhost:${ctx.upstreamPort}`,
    `127.0.0.1:${ctx.closedPort}`,
    `127.0.0.1:${ctx.forwardPort}`,
    `127.0.0.1:${ctx.reversePort}`,
    '127.0.0.1:0',
    '127.0.0.1:99999',
    '127.0.0.1',
    ':443',
    '[::1]:x',
    `${ctx.foreignHost}:443`,
    `${ctx.foreignHost}:${ctx.upstreamPort}`,
    'a b:80',
    '',
    '%00:80',
    `${'h'.repeat(int(rng, 300, 70_000))}:443`,
    `http://127.0.0.1:${ctx.upstreamPort}/`,
  ]);
  const head = requestHead([`CONNECT ${authority} ${pick(rng, ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0'])}`, `Host: ${authority}`, ...authHeader(rng, ctx, auth)], '\r\n');
  const inner = pick(rng, [
    () => Buffer.from(`GET /json?tunnel=1 HTTP/1.1\r\nHost: 127.0.0.1:${ctx.upstreamPort}\r\n\r\n`, 'latin1'),
    () => tlsClientHello(rng),
    () => H2_PREFACE,
    () => randomBytes(rng, int(rng, 1, 300)),
    () => Buffer.alloc(0),
  ])();
  return { family: 'connect', target, auth, requests: [{ method: 'CONNECT', path: authority, auth }], chunks: [head, inner], hold: chance(rng, 0.3) };
}

const oneOf = (built: Built) => ({ bytes: built.chunks[0]!, request: built.requests[0]! });

function pipelineFamily(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth): Built {
  const parts = Array.from({ length: int(rng, 2, 12) }, () =>
    chance(rng, 0.8) ? simpleRequest(rng, ctx, target, auth) : oneOf(requestLineFamily(rng, ctx, target, auth)),
  );
  const whole = Buffer.concat(parts.map((p) => p.bytes));
  const chunks = chance(rng, 0.5) ? [whole] : splitRandomly(rng, whole);
  return { family: 'pipeline', target, auth, requests: parts.map((p) => p.request), chunks };
}

function splitRandomly(rng: Rng, whole: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < whole.length) {
    const next = Math.min(whole.length, at + int(rng, 1, 200));
    out.push(whole.subarray(at, next));
    at = next;
  }
  return out.slice(0, 400).concat(at < whole.length ? [whole.subarray(at)] : []);
}

/** A request cut anywhere: then either half-closed or left hanging until the harness gives up on it. */
function halfSentFamily(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth): Built {
  const body = chance(rng, 0.5) ? '{"tags":["x"]}'.repeat(int(rng, 1, 100)) : '';
  const { bytes, request } = simpleRequest(rng, ctx, target, auth, chance(rng, 0.3) ? ['Expect: 100-continue'] : [], body);
  const cut = int(rng, 1, bytes.length - 1);
  return { family: 'half-sent', target, auth, requests: [request], chunks: [bytes.subarray(0, cut)], hold: chance(rng, 0.5) };
}

/** Bodies whose length disagrees with what is sent: more declared than sent, a slow dribble, large uploads. */
function bodyFamily(rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth): Built {
  const size = pick(rng, [10, 1000, 100_000, 1_200_000]);
  const declared = pick(rng, [size, size + int(rng, 1, 1000), Math.max(0, size - int(rng, 1, 9))]);
  const path = target === 'api' ? pathFor(rng, ctx, target, 'PATCH') : pick(rng, ['/echo', '/json', `/status/${pick(rng, [200, 413, 500, 101, 199, 600])}`]);
  const method = target === 'api' ? 'PATCH' : pick(rng, ['POST', 'PUT']);
  const head = requestHead([`${method} ${path} HTTP/1.1`, `Host: ${hostHeader(rng, ctx, target)}`, ...authHeader(rng, ctx, auth), `Content-Length: ${declared}`, ...(chance(rng, 0.3) ? ['Expect: 100-continue'] : [])], '\r\n');
  const body = Buffer.alloc(size, 0x61);
  return { family: 'body', target, auth, requests: [{ method, path, auth }], chunks: chance(rng, 0.3) ? [head, ...splitRandomly(rng, body.subarray(0, 2000)), body.subarray(2000)] : [head, body], hold: declared > size && chance(rng, 0.5) };
}

const FAMILIES: ReadonlyArray<[weight: number, build: (rng: Rng, ctx: FuzzContext, target: FuzzTarget, auth: FuzzAuth) => Built, targets?: FuzzTarget[]]> = [
  [14, requestLineFamily],
  [16, headerFamily],
  [9, chunkedFamily],
  [8, smugglingFamily],
  [14, encodedPathFamily, ['api']],
  [10, authProbeFamily, ['api']],
  [6, apiQueryFamily, ['api']],
  [6, apiBodyFamily, ['api']],
  [7, upgradeFamily],
  [6, otherProtocolFamily],
  [3, tlsFamily, ['reverse', 'forward']],
  [6, connectFamily],
  [6, pipelineFamily],
  [6, halfSentFamily],
  [3, bodyFamily],
];
const TOTAL_WEIGHT = FAMILIES.reduce((sum, [w]) => sum + w, 0);

/** Case `index` of run `seed`: independent of every other case, so runs can be replayed case by case. */
export function fuzzCase(seed: number, index: number, ctx: FuzzContext): FuzzCase {
  const rng = mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  let roll = rng() * TOTAL_WEIGHT;
  let chosen = FAMILIES[0]!;
  for (const family of FAMILIES) {
    roll -= family[0];
    if (roll < 0) {
      chosen = family;
      break;
    }
  }
  const [, build, targets] = chosen;
  const target = pick(rng, targets ?? (['api', 'reverse', 'forward'] as const));
  const built = build(rng, ctx, target, chooseAuth(rng, target));
  return { index, hold: false, ...built };
}

/** A case's bytes for a report: printable ASCII as is, the rest escaped, long runs elided. */
export function describeBytes(chunks: Buffer[], max = 600): string {
  const text = Buffer.concat(chunks)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, (c) => (c === '\r' ? '\\r' : c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
    .replace(/(.)\1{40,}/g, (run, c: string) => `${c}{×${run.length}}`);
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading what came back: every HTTP/1 response on a connection, framed as a client would frame it.

export interface ParsedResponse {
  status: number;
  headers: Map<string, string>;
  /** The first bytes of the body (enough to tell an API answer from the UI shell). */
  body: string;
  /** The whole body arrived (false: cut short, or framed by the connection's end). */
  complete: boolean;
}

function parseHead(head: string): ParsedResponse | undefined {
  const match = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head);
  if (!match) return undefined;
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(match[1]), headers, body: '', complete: true };
}

/** Where a chunked body ends (after the last chunk and trailers), or -1 when it is cut short or malformed. */
function chunkedEnd(buf: Buffer, from: number): number {
  let at = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return -1;
    const size = parseInt(buf.subarray(at, eol).toString('latin1').split(';')[0]!.trim(), 16);
    if (Number.isNaN(size)) return -1;
    at = eol + 2;
    if (size === 0) {
      const end = buf.indexOf('\r\n\r\n', at - 2);
      return end < 0 ? -1 : end + 4;
    }
    at += size + 2;
  }
}

/**
 * Every response in `buf`, in order. `methods` are the requests' methods in order (a HEAD answer has no body);
 * parsing stops at a 101 (the rest is another protocol) or at anything that is not a response head.
 */
export function parseResponses(buf: Buffer, methods: string[]): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  while (at < buf.length) {
    const headEnd = buf.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const response = parseHead(buf.subarray(at, headEnd).toString('latin1'));
    if (!response) break;
    out.push(response);
    at = headEnd + 4;
    if (response.status === 101) break;
    if (response.status < 200) continue;
    const method = methods[out.filter((r) => r.status >= 200).length - 1];
    const bodyEnd = bodyEndOf(buf, at, response, method);
    response.body = buf.subarray(at, Math.min(bodyEnd < 0 ? buf.length : bodyEnd, at + 4096)).toString('utf8');
    response.complete = bodyEnd >= 0;
    if (bodyEnd < 0) break;
    at = bodyEnd;
  }
  return out;
}

function bodyEndOf(buf: Buffer, from: number, response: ParsedResponse, method: string | undefined): number {
  if (method === 'HEAD' || response.status === 204 || response.status === 304) return from;
  if (/chunked/i.test(response.headers.get('transfer-encoding') ?? '')) return chunkedEnd(buf, from);
  const length = response.headers.get('content-length');
  if (length !== undefined && /^\d+$/.test(length)) return from + Number(length) <= buf.length ? from + Number(length) : -1;
  return -1;
}

/**
 * May an unauthenticated caller get this 2xx/101? Only the UI shell (it carries the UI's own CSP, which no recorded
 * body or API answer does) and the health check. Judged on the answer, not the path: the path's spelling is what
 * the fuzz varies, and the question is what the caller got.
 */
export function unauthenticatedAnswerAllowed(response: ParsedResponse, method: string | undefined): boolean {
  if (response.status === 101) return false;
  if ((response.headers.get('content-security-policy') ?? '').startsWith("default-src 'self'")) return true;
  const json = (response.headers.get('content-type') ?? '').startsWith('application/json');
  if (!json) return false;
  if (method === 'HEAD') return response.headers.get('content-length') === String('{"status":"ok"}'.length);
  return response.body === '{"status":"ok"}';
}
