/**
 * Text as it was sent, through real sockets: a raw TCP upstream answers with exact bytes (bodies in Latin-1,
 * windows-1251 and Shift_JIS, stacked Content-Encoding lines, header values in UTF-8 and in no valid UTF-8), a raw
 * client socket sends header bytes the same way, and the entries read back through the Recorder must show the text,
 * name the charset and keep the exact header bytes.
 */
import net from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, waitForEntries, type TestEngine } from '../../test-support/engine.js';
import { startTestServer } from '../../test-support/server.js';
import type { Entry, HeaderPair } from '../../../src-shared/model.js';
import { headerBytes } from '../capture/header-text.js';

const bytes = (...parts: Array<string | number[] | Buffer>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

/** An answer with exact bytes: a head (latin1 string plus raw byte runs) and a Content-Length body. */
function answer(headLines: Buffer[], body: Buffer): Buffer {
  const head = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n'), ...headLines.map((l) => bytes(l, '\r\n'))]);
  return Buffer.concat([head, Buffer.from(`Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]);
}

const LATIN1 = bytes('caf', [0xe9], ' ', [0x80], ' ', [0x92]);
const CP1251 = Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]);
const SJIS = Buffer.from([0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea]);
const ZOE = bytes('Zo', [0xc3, 0xab]);
const NOT_UTF8 = bytes('a', [0xff], 'b');

const routes: Record<string, Buffer> = {
  '/latin1': answer([bytes('Content-Type: text/plain; charset=iso-8859-1')], LATIN1),
  '/cp1251': answer([bytes('Content-Type: text/html; charset=windows-1251')], CP1251),
  '/sjis': answer([bytes('Content-Type: text/plain;charset="Shift_JIS"')], SJIS),
  '/unknown': answer([bytes('Content-Type: text/plain; charset=x-klingon')], Buffer.from('plain words')),
  '/stacked': answer(
    [bytes('Content-Type: text/plain; charset=iso-8859-1'), bytes('Content-Encoding: gzip'), bytes('Content-Encoding: br')],
    zlib.brotliCompressSync(zlib.gzipSync(LATIN1)),
  ),
  '/headers': answer([bytes('Content-Type: text/plain'), bytes('X-Name: ', ZOE), bytes('X-Raw: ', NOT_UTF8)], Buffer.from('ok')),
};

let upstream: net.Server;
let upstreamUrl: string;
/** Each request head exactly as the upstream received it. */
const received: Buffer[] = [];

beforeAll(async () => {
  upstream = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      buf = Buffer.concat([buf, data]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      received.push(buf.subarray(0, end + 4));
      const path = / (\S+) HTTP/.exec(buf.toString('latin1'))?.[1] ?? '';
      socket.end(routes[path] ?? answer([], Buffer.from('no such route')));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => upstream?.close(r));
});

/** Send exact request bytes from a raw client socket; resolves with every byte the proxy answered. */
function rawExchange(port: number, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

const get = (path: string, ...extra: Buffer[]) =>
  Buffer.concat([Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`), ...extra.map((l) => bytes(l, '\r\n')), Buffer.from('Connection: close\r\n\r\n')]);

async function record(engine: TestEngine, paths: string[], extra: Buffer[] = []): Promise<{ entries: Entry[]; answers: Buffer[]; sessionId: string }> {
  const { session } = await engine.recorder.startSession({ mode: 'reverse', targetUrl: upstreamUrl });
  const answers: Buffer[] = [];
  for (const path of paths) answers.push(await rawExchange(session.listenPort, get(path, ...extra)));
  const entries = await waitForEntries(engine.recorder, session.id, paths.length);
  const full = await Promise.all(entries.map(async (e) => (await engine.recorder.getEntry({ id: session.id, entryId: e.id })).entry));
  return { entries: full, answers, sessionId: session.id };
}

const indexOf = (headers: HeaderPair[], name: string) => headers.findIndex(([k]) => k.toLowerCase() === name.toLowerCase());

describe('charsets', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(async () => {
    await engine?.close();
  });

  describe('bodies decode by their declared charset', () => {
    it('decodes Latin-1, windows-1251 and Shift_JIS bodies and names the charset used', async () => {
      const { entries, answers } = await record(engine, ['/latin1', '/cp1251', '/sjis']);
      // The client got the upstream's bytes untouched.
      expect(answers[0]!.subarray(answers[0]!.length - LATIN1.length).equals(LATIN1)).toBe(true);
      const [latin1, cp1251, sjis] = entries.map((e) => e.response!.body);
      expect(latin1).toMatchObject({ text: 'café € \u2019', charset: 'windows-1252' });
      expect(latin1!.decodeError).toBeUndefined();
      expect(cp1251).toMatchObject({ text: 'Привет', charset: 'windows-1251' });
      expect(sjis).toMatchObject({ text: '日本語', charset: 'shift_jis' });
    });

    it('falls back to UTF-8 for an unknown charset and says so', async () => {
      const { entries } = await record(engine, ['/unknown']);
      expect(entries[0]!.response!.body).toMatchObject({ text: 'plain words', charset: 'utf-8', decodeError: expect.stringMatching(/unknown charset "x-klingon"/) });
    });

    it('undoes two Content-Encoding lines like one combined line', async () => {
      const { entries } = await record(engine, ['/stacked']);
      const body = entries[0]!.response!.body;
      expect(body).toMatchObject({ text: 'café € \u2019', contentEncoding: 'gzip, br', charset: 'windows-1252' });
      expect(body.decodeError).toBeUndefined();
      // The stored entry (what lists and the stream show, without bodies) names both encodings too.
      const { entries: listed } = await engine.recorder.listEntries({ id: entries[0]!.sessionId, limit: 10 });
      expect(listed[0]!.response!.body.contentEncoding).toBe('gzip, br');
      // `?decoded=1` bytes: encodings undone, charset kept, so they still match the recorded Content-Type.
      const decoded = await engine.recorder.readEntryBody(entries[0]!.sessionId, entries[0]!.id, 'response', true);
      expect(decoded.contentType).toMatch(/iso-8859-1/);
      expect(decoded.bytes.equals(LATIN1)).toBe(true);
    });

    it('finds entries by their decoded text', async () => {
      const { sessionId } = await record(engine, ['/latin1', '/cp1251', '/headers']);
      const ids = (q: string) => engine.recorder.searchEntries(sessionId, q);
      expect(await ids('CAFÉ')).toHaveLength(1);
      expect(await ids('привет')).toHaveLength(1);
      expect(await ids('zoë')).toHaveLength(1);
    });
  });

  describe('header values keep their bytes', () => {
    it('shows a UTF-8 response header as text, keeps invalid bytes exactly, and relays both untouched', async () => {
      const { entries, answers } = await record(engine, ['/headers']);
      expect(answers[0]!.includes(bytes('X-Name: ', ZOE, '\r\n'))).toBe(true);
      expect(answers[0]!.includes(bytes('X-Raw: ', NOT_UTF8, '\r\n'))).toBe(true);
      const response = entries[0]!.response!;
      const name = indexOf(response.headers, 'x-name');
      const raw = indexOf(response.headers, 'x-raw');
      expect(response.headers[name]![1]).toBe('Zoë');
      expect(response.headers[raw]![1]).toBe('aÿb');
      expect(headerBytes(response, name).equals(ZOE)).toBe(true);
      expect(headerBytes(response, raw).equals(NOT_UTF8)).toBe(true);
      expect(Object.keys(response.rawHeaderValues!).sort()).toEqual([String(name), String(raw)].sort());
    });

    const rawClientHeaders = [bytes('X-Name: ', ZOE), bytes('X-Raw: ', NOT_UTF8)];

    it('records request header bytes from a raw client the same way', async () => {
      const { entries } = await record(engine, ['/plain'], rawClientHeaders);
      const request = entries[0]!.request;
      const name = indexOf(request.headers, 'x-name');
      const raw = indexOf(request.headers, 'x-raw');
      expect(request.headers[name]![1]).toBe('Zoë');
      expect(request.headers[raw]![1]).toBe('aÿb');
      expect(headerBytes(request, name).equals(ZOE)).toBe(true);
      expect(headerBytes(request, raw).equals(NOT_UTF8)).toBe(true);
      // ASCII headers carry no raw copy.
      expect(request.rawHeaderValues![indexOf(request.headers, 'host')]).toBeUndefined();
    });

    // mockttp's passthrough re-encoded each Latin-1 header string as UTF-8 (Zoë arrived as 5a 6f c3 83 c2 ab): our
    // forwarder sends the client's bytes on unchanged.
    it('sends request header bytes upstream exactly', async () => {
      const before = received.length;
      await record(engine, ['/plain'], rawClientHeaders);
      const upstreamHead = received[before]!;
      expect(upstreamHead.includes(bytes('X-Name: ', ZOE, '\r\n'))).toBe(true);
      expect(upstreamHead.includes(bytes('X-Raw: ', NOT_UTF8, '\r\n'))).toBe(true);
    });
  });
});

describe('through the REST API', () => {
  it('serves the decoded text, its charset and the exact header bytes, and searches the text', async () => {
    const server = await startTestServer();
    try {
      const started = await server.call('POST', '/start', { mode: 'reverse', targetUrl: upstreamUrl });
      expect(started.status).toBe(201);
      const { id, listenPort } = started.json.session as { id: string; listenPort: number };
      await rawExchange(listenPort, get('/latin1', bytes('X-Name: ', ZOE)));
      await expect.poll(async () => (await server.call('GET', `/${id}/entries`)).json.total).toBe(1);
      const list = await server.call('GET', `/${id}/entries`);
      const { json } = await server.call('GET', `/${id}/entries/${list.json.entries[0].id}`);
      const entry = json.entry as Entry;
      expect(entry.response!.body).toMatchObject({ text: 'café € \u2019', charset: 'windows-1252' });
      const name = indexOf(entry.request.headers, 'x-name');
      expect(entry.request.headers[name]![1]).toBe('Zoë');
      expect(entry.request.rawHeaderValues).toEqual({ [name]: ZOE.toString('base64') });
      const search = await server.call('GET', `/${id}/entries/search?q=${encodeURIComponent('CAFÉ €')}`);
      expect(search.json.ids).toEqual([entry.id]);
    } finally {
      await server.close();
    }
  });
});
