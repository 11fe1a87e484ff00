/** Pending rows: a request in flight is announced on the stream, and its entry later completes it under the same id. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request as undiciRequest } from 'undici';
import { EVICT_ENTRY_ID, type StreamMessage } from '../../../src-shared/model.js';
import { startEngine, waitForEntries } from '../../test-support/engine.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** An upstream that holds every response until the test releases it, so "in flight" lasts as long as needed. */
async function heldUpstream(status = 200): Promise<{ url: string; arrived: Promise<void>; release: () => void }> {
  const held: http.ServerResponse[] = [];
  let onArrive!: () => void;
  const arrived = new Promise<void>((resolve) => (onArrive = resolve));
  const server = http.createServer((req, res) => {
    req.resume();
    held.push(res);
    onArrive();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const release = () => {
    for (const res of held.splice(0)) res.writeHead(status, { 'content-type': 'text/plain' }).end('done');
  };
  cleanups.push(release);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrived, release };
}

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function engineWith() {
  const engine = await startEngine();
  cleanups.push(() => engine.close());
  return engine;
}

describe('pending entries on the stream', () => {
  it('announces a request in flight, then completes it in place with the same id', async () => {
    const upstream = await heldUpstream();
    const engine = await engineWith();
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    const messages: StreamMessage[] = [];
    cleanups.push(engine.recorder.subscribe(session.id, (batch) => messages.push(...batch), { pending: true }));

    const response = undiciRequest(`${session.proxyUrl}/slow?x=1`, { method: 'POST', body: 'hi' });
    await upstream.arrived;
    const pending = await until('the pending message', () => messages.find((m) => m.type === 'pending'));
    expect(pending).toEqual({
      type: 'pending',
      entry: { id: expect.any(String), sessionId: session.id, method: 'POST', url: `${upstream.url}/slow?x=1`, startedAt: expect.any(String) },
    });
    expect(Number.isNaN(Date.parse(pending.entry.startedAt))).toBe(false);
    expect(messages.some((m) => m.type === 'entry')).toBe(false);

    upstream.release();
    expect(await (await response).body.text()).toBe('done');
    const done = await until('the entry', () => messages.find((m) => m.type === 'entry'));
    expect(done.entry.id).toBe(pending.entry.id);
    const [stored] = await waitForEntries(engine.recorder, session.id, 1);
    expect(stored!.id).toBe(pending.entry.id);
    expect(stored!.response?.statusCode).toBe(200);
  });

  it('withdraws the pending row when the scope filters drop the exchange on its status', async () => {
    const upstream = await heldUpstream(404);
    const engine = await engineWith();
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url, filters: { excludeStatus: [404] } });
    const messages: StreamMessage[] = [];
    cleanups.push(engine.recorder.subscribe(session.id, (batch) => messages.push(...batch), { pending: true }));

    const response = undiciRequest(`${session.proxyUrl}/missing`);
    await upstream.arrived;
    const pending = await until('the pending message', () => messages.find((m) => m.type === 'pending'));
    upstream.release();
    expect((await response).statusCode).toBe(404);
    const withdrawn = await until('the withdrawal', () => messages.find((m) => m.type === 'entry'));
    expect(withdrawn.entry).toEqual({ id: EVICT_ENTRY_ID, notes: pending.entry.id });
    expect((await engine.recorder.listEntries({ id: session.id })).total).toBe(0);
  });

  it('sends a subscriber that did not ask for them neither pending rows nor their withdrawals', async () => {
    const upstream = await heldUpstream(404);
    const engine = await engineWith();
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url, filters: { excludeStatus: [404] } });
    const aware: StreamMessage[] = [];
    const plain: StreamMessage[] = [];
    cleanups.push(engine.recorder.subscribe(session.id, (batch) => aware.push(...batch), { pending: true }));
    cleanups.push(engine.recorder.subscribe(session.id, (batch) => plain.push(...batch)));
    const dropped = undiciRequest(`${session.proxyUrl}/missing`);
    await upstream.arrived;
    await until('the pending message', () => aware.find((m) => m.type === 'pending'));
    upstream.release();
    expect((await dropped).statusCode).toBe(404);
    await until('the withdrawal', () => aware.find((m) => m.type === 'entry'));
    // A stop is published to everyone: once the plain subscriber has it, it has had everything before it too.
    await engine.recorder.stopSession({ id: session.id });
    await until('the stop', () => plain.find((m) => m.type === 'session'));
    expect(plain.map((m) => m.type)).toEqual(['session']);
  });

  it('announces nothing, and still records, when nobody watches the stream', async () => {
    const upstream = await heldUpstream();
    const engine = await engineWith();
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    const response = undiciRequest(`${session.proxyUrl}/quiet`);
    await upstream.arrived;
    const messages: StreamMessage[] = [];
    cleanups.push(engine.recorder.subscribe(session.id, (batch) => messages.push(...batch), { pending: true }));
    upstream.release();
    await (await response).body.text();
    await until('the entry', () => messages.find((m) => m.type === 'entry'));
    expect(messages.filter((m) => m.type === 'pending')).toEqual([]);
    expect(await waitForEntries(engine.recorder, session.id, 1)).toHaveLength(1);
  });
});
