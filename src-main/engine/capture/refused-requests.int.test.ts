/**
 * Requests the proxy's parser refuses (issue 8 point 16) become entries that say why: a real mockttp server on
 * 127.0.0.1, raw client sockets writing the exact bytes, and mockttp's own `client-error` events fed to the
 * entry builder the sessions use.
 */
import net from 'node:net';
import { getLocal, type ClientError, type Mockttp } from 'mockttp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientErrorEntry } from './entries.js';
import { startEngine, waitForEntries } from '../../test-support/engine.js';
import { startUpstream } from '../../test-support/upstream.js';

describe('entries for refused requests', () => {
  let server: Mockttp;
  const errors: ClientError[] = [];
  let waiters: Array<() => void> = [];
  beforeAll(async () => {
    server = getLocal({ recordTraffic: false, http2: false, suggestChanges: false });
    await server.on('client-error', (e) => {
      errors.push(e);
      for (const w of waiters) w();
    });
    await server.start();
    await server.forAnyRequest().thenReply(200, 'ok');
  });
  afterAll(() => server?.stop());

  /** Send `bytes`, wait for the reply to close and for mockttp's `client-error`. */
  async function refused(bytes: string, halfClose = false): Promise<{ reply: string; error: ClientError }> {
    const seen = errors.length;
    const errorSeen = new Promise<void>((r) => {
      const check = () => errors.length > seen && (waiters = waiters.filter((w) => w !== check), r());
      waiters.push(check);
    });
    const socket = net.connect(server.port, '127.0.0.1');
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('connect', r));
    socket.write(Buffer.from(bytes, 'latin1'));
    if (halfClose) socket.end();
    await Promise.all([errorSeen, new Promise<void>((r) => socket.once('close', () => r()))]);
    return { reply, error: errors[seen]! };
  }

  it('records a request with an obs-fold header line, saying why it got 400', async () => {
    const { reply, error } = await refused('GET /fold HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n  b\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    const built = clientErrorEntry('s1', error)!;
    expect(built.entry.request).toMatchObject({ method: 'GET' });
    expect(built.entry.request.url).toMatch(/\/fold$/);
    expect(built.entry.response?.statusCode).toBe(400);
    expect(built.entry.error).toEqual({ code: 'HPE_INVALID_HEADER_TOKEN', message: expect.stringMatching(/refused the request.*obs-fold/) });
  });

  it('records a request whose target has a raw UTF-8 byte, saying why it got 400', async () => {
    const { reply, error } = await refused('GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    const built = clientErrorEntry('s1', error)!;
    expect(built.entry.error?.code).toBe('HPE_INVALID_URL');
    expect(built.entry.error?.message).toMatch(/raw non-ASCII byte/);
  });

  it('records no entry for a client that leaves halfway through its request head', async () => {
    const { error } = await refused('GET /half HTTP/1.1\r\nHost: x\r\n', true);
    expect(clientErrorEntry('s1', error)).toBeUndefined();
  });
});

describe('a recording session', () => {
  it('keeps an entry for each request its parser refused, next to the ones it forwarded', async () => {
    const upstream = await startUpstream();
    const engine = await startEngine();
    try {
      const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
      const send = (bytes: string) =>
        new Promise<string>((resolve) => {
          const socket = net.connect(session.listenPort, '127.0.0.1');
          let reply = '';
          socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
          socket.on('error', () => undefined);
          socket.once('close', () => resolve(reply));
          socket.write(Buffer.from(bytes, 'latin1'));
        });
      expect(await send('GET /fold HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n  b\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
      expect(await send('GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 /);
      const entries = await waitForEntries(engine.recorder, session.id, 2);
      const refusedEntry = entries.find((e) => e.error?.code === 'HPE_INVALID_HEADER_TOKEN');
      expect(refusedEntry?.response?.statusCode).toBe(400);
      expect(refusedEntry?.error?.message).toMatch(/obs-fold/);
      expect(entries.find((e) => e.request.url.endsWith('/json'))?.response?.statusCode).toBe(200);
    } finally {
      await engine.close();
      await upstream.close();
    }
  });
});

describe('a forward session', () => {
  it('answers 400 in words for a target it cannot parse (a port past 65535), never a 500', async () => {
    const engine = await startEngine();
    try {
      const { session } = await engine.recorder.startSession({ mode: 'forward' });
      const reply = await new Promise<string>((resolve) => {
        const socket = net.connect(session.listenPort, '127.0.0.1');
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
        socket.on('error', () => undefined);
        socket.once('close', () => resolve(text));
        socket.write('GET http://127.0.0.1:99999/x HTTP/1.1\r\nHost: 127.0.0.1:99999\r\nConnection: close\r\n\r\n');
      });
      expect(reply).toMatch(/^HTTP\/1\.1 400 /);
      expect(reply).toContain('is not a URL this proxy can forward to');
    } finally {
      await engine.close();
    }
  });
});
