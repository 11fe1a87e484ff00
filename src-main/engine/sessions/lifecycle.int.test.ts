/** Limits, eviction, expiry, retention, ports and the stream, on the real engine with real sockets. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request as undiciRequest } from 'undici';
import { ApiError } from '../../../src-shared/errors.js';
import { EVICT_ENTRY_ID, type StreamMessage } from '../../../src-shared/model.js';
import { parseOperationInput } from '../../../src-shared/contract.js';
import { startEngine, waitForEntries, type TestEngine } from '../../test-support/engine.js';
import { startUpstream, type Upstream } from '../../test-support/upstream.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(options: Parameters<typeof startEngine>[0] = {}): Promise<{ engine: TestEngine; upstream: Upstream }> {
  const engine = await startEngine(options);
  const upstream = await startUpstream();
  cleanups.push(() => engine.close(), () => upstream.close());
  return { engine, upstream };
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('entry limit and eviction', () => {
  it('keeps the newest 1,000 of 1,001 exchanges and announces the eviction on the stream', async () => {
    const { engine, upstream } = await setup();
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    const messages: StreamMessage[] = [];
    const unsubscribe = engine.recorder.subscribe(session.id, (batch) => messages.push(...batch));
    const agent = new Agent({ connections: 20 });
    try {
      for (let i = 0; i < 1001; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, 1001 - i) }, async (_, j) => {
            const res = await undiciRequest(`${session.proxyUrl}/n/${i + j}`, { dispatcher: agent });
            await res.body.text();
          }),
        );
      }
    } finally {
      await agent.close();
    }
    await waitForEntries(engine.recorder, session.id, 1000);
    await new Promise((r) => setTimeout(r, 100));
    unsubscribe();
    const entryMessages = messages.filter((m) => m.type === 'entry' && m.entry.id !== EVICT_ENTRY_ID);
    const evictions = messages.filter((m) => m.type === 'entry' && m.entry.id === EVICT_ENTRY_ID);
    expect(entryMessages).toHaveLength(1001);
    expect(evictions).toHaveLength(1);
    const firstId = (entryMessages[0] as { entry: { id: string } }).entry.id;
    expect((evictions[0] as { entry: { notes: string } }).entry.notes).toBe(firstId);
    const page = await engine.recorder.listEntries({ id: session.id, limit: 1000, bodies: false });
    expect(page.total).toBe(1000);
    expect(page.entries.some((e) => e.id === firstId)).toBe(false);
    expect((await engine.recorder.getSession({ id: session.id })).session.entryCount).toBe(1000);
  });

  it('honours a configured smaller limit', async () => {
    const { engine, upstream } = await setup({ limits: { maxEntriesPerSession: 3 } });
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    for (let i = 0; i < 5; i++) await (await undiciRequest(`${session.proxyUrl}/n/${i}`)).body.text();
    // Eviction runs after the insert that went past the limit: wait for its outcome, not for a time.
    const paths = async () => (await engine.recorder.listEntries({ id: session.id })).entries.map((e) => new URL(e.request.url).pathname);
    await expect.poll(paths).toEqual(['/n/2', '/n/3', '/n/4']);
  });
});

describe('session limits and ports', () => {
  it('refuses the 31st concurrent session', async () => {
    const { engine, upstream } = await setup();
    for (let i = 0; i < 30; i++) await engine.recorder.startSession({ targetUrl: upstream.url, name: `s${i}` });
    const error = await rejection(engine.recorder.startSession({ targetUrl: upstream.url }));
    expect(error.code).toBe('limit_reached');
    expect(error.message).toMatch(/at most 30 sessions/);
    const ports = await engine.recorder.ports();
    expect(ports.used).toBe(30);
    expect(new Set(ports.details.map((d) => d.port)).size).toBe(30);
  });

  it('names a taken or out-of-range port, and reports availability', async () => {
    const { engine, upstream } = await setup();
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    const taken = await rejection(engine.recorder.startSession({ targetUrl: upstream.url, listenPort: session.listenPort }));
    expect(taken.status).toBe(409);
    expect(taken.message).toContain(String(session.listenPort));
    const outside = await rejection(engine.recorder.startSession({ targetUrl: upstream.url, listenPort: 9500 }));
    expect(outside.status).toBe(400);
    expect(outside.message).toMatch(/9500.*8081-8999/);
    expect(await engine.recorder.portCheck({ port: session.listenPort })).toMatchObject({ available: false });

    // A port held by another program.
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(8998, '127.0.0.1', r));
    try {
      expect(await engine.recorder.portCheck({ port: 8998 })).toMatchObject({ available: false, reason: 'in use by another program' });
      const busy = await rejection(engine.recorder.startSession({ targetUrl: upstream.url, listenPort: 8998 }));
      expect(busy.status).toBe(409);
      expect(busy.message).toContain('8998');
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
    expect(await engine.recorder.portCheck({ port: 8997 })).toEqual({ port: 8997, available: true });
  });
});

describe('lifecycle', () => {
  it('stops a session at its 4 h expiry and drops it 5 days after it stopped', async () => {
    let now = Date.parse('2026-03-14T10:00:00Z');
    const { engine, upstream } = await setup({ now: () => now });
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    expect(session.createdAt).toBe('2026-03-14T10:00:00.000Z');
    expect(session.expiresAt).toBe('2026-03-14T14:00:00.000Z');
    await (await undiciRequest(`${session.proxyUrl}/json`)).body.text();
    await waitForEntries(engine.recorder, session.id, 1);

    now += 4 * 60 * 60 * 1000 - 1;
    await engine.recorder.sweep();
    expect((await engine.recorder.getSession({ id: session.id })).session.status).toBe('running');
    now += 1;
    await engine.recorder.sweep();
    const stopped = (await engine.recorder.getSession({ id: session.id })).session;
    expect(stopped.status).toBe('stopped');
    expect(stopped.stoppedAt).toBe('2026-03-14T14:00:00.000Z');
    expect(stopped.entryCount).toBe(1);
    await expect(undiciRequest(`${session.proxyUrl}/json`)).rejects.toThrow();

    now += 5 * 24 * 60 * 60 * 1000 - 1;
    await engine.recorder.sweep();
    expect((await engine.recorder.listEntries({ id: session.id })).total).toBe(1);
    const messages: StreamMessage[] = [];
    engine.recorder.subscribe(session.id, (batch) => messages.push(...batch));
    now += 1;
    await engine.recorder.sweep();
    await expect(engine.recorder.getSession({ id: session.id })).rejects.toMatchObject({ code: 'not_found' });
    // Its watchers are told why the entries went, as for a budget eviction.
    expect(messages).toContainEqual({ type: 'evicted', eviction: { sessionId: session.id, count: 1, reason: 'expired' } });
  });

  it('restarts on the same port when free, keeps entries, and deletes everything on delete', async () => {
    const { engine, upstream } = await setup();
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url, name: 'keep me' });
    await (await undiciRequest(`${session.proxyUrl}/one`)).body.text();
    await waitForEntries(engine.recorder, session.id, 1);
    await engine.recorder.stopSession({ id: session.id });
    await expect(engine.recorder.restartSession({ id: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    const { session: again } = await engine.recorder.restartSession({ id: session.id });
    expect(again).toMatchObject({ status: 'running', listenPort: session.listenPort, name: 'keep me', targetUrl: upstream.url });
    await expect(engine.recorder.restartSession({ id: session.id })).rejects.toMatchObject({ code: 'conflict' });
    await (await undiciRequest(`${again.proxyUrl}/two`)).body.text();
    await waitForEntries(engine.recorder, session.id, 2);

    // Port taken meanwhile: restart picks another one.
    await engine.recorder.stopSession({ id: session.id });
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(session.listenPort, '127.0.0.1', r));
    try {
      const { session: moved } = await engine.recorder.restartSession({ id: session.id });
      expect(moved.listenPort).not.toBe(session.listenPort);
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
    await engine.recorder.deleteSession({ id: session.id });
    await expect(engine.recorder.listEntries({ id: session.id })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('annotates entries with tags and notes and streams the update', async () => {
    const { engine, upstream } = await setup();
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    await (await undiciRequest(`${session.proxyUrl}/json`)).body.text();
    const [entry] = await waitForEntries(engine.recorder, session.id, 1);
    const seen: StreamMessage[] = [];
    const off = engine.recorder.subscribe(session.id, (batch) => seen.push(...batch));
    const { entry: updated } = await engine.recorder.patchEntry({ id: session.id, entryId: entry!.id, tags: ['bug', 'bug', 'timeout'], notes: 'slow' });
    expect(updated.tags).toEqual(['bug', 'timeout']);
    expect(updated.notes).toBe('slow');
    await new Promise((r) => setTimeout(r, 50));
    off();
    expect(seen).toEqual([expect.objectContaining({ type: 'entry-updated' })]);
    // An annotation with neither tags nor notes is refused at the boundary, by the operation's schema.
    expect(() => parseOperationInput('patchEntry', { id: session.id, entryId: entry!.id })).toThrow(expect.objectContaining({ code: 'bad_request' }));
    await expect(engine.recorder.patchEntry({ id: session.id, entryId: 'missing', tags: [] })).rejects.toMatchObject({ code: 'not_found' });
    expect(await engine.recorder.searchEntries(session.id, 'SLOW')).toEqual([entry!.id]);
    expect(await engine.recorder.searchEntries(session.id, '"ok":true')).toEqual([entry!.id]);
    expect(await engine.recorder.searchEntries(session.id, 'absent-text')).toEqual([]);
  });
});
