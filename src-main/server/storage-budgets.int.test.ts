/**
 * The store's budgets through the real server: the per-session limit is enforced by the store (FIFO) and its
 * evictions reach a real WebSocket subscriber as `__evict__` entries plus one `evicted` message per eviction;
 * `GET /storage` reports usage per session; search takes a `limit`.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { request } from 'undici';
import { EVICT_ENTRY_ID, type Entry, type StorageReport, type StreamMessage } from '../../src-shared/model.js';
import { serverWithUpstream, startTestServer, TEST_TOKEN } from '../test-support/server.js';

const shared = serverWithUpstream({ limits: { maxEntriesPerSession: 3 } });

async function waitFor(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  for (let tries = 0; !(await probe()); tries++) {
    if (tries > 1500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startSession(name: string): Promise<{ id: string; proxyUrl: string }> {
  const started = await shared.server.call('POST', '/start', { targetUrl: shared.upstream.url, name });
  expect(started.status).toBe(201);
  return started.json.session;
}

async function send(proxyUrl: string, path: string, body?: string): Promise<void> {
  const res = await request(`${proxyUrl}${path}`, { method: body === undefined ? 'GET' : 'POST', ...(body !== undefined ? { body } : {}) });
  await res.body.text();
  expect(res.statusCode).toBe(200);
}

async function entries(id: string): Promise<Entry[]> {
  return (await shared.server.call('GET', `/${id}/entries?limit=100&bodies=false`)).json.entries as Entry[];
}

async function subscribe(id: string): Promise<{ messages: StreamMessage[]; close(): void }> {
  const ws = new WebSocket(`${shared.server.base.replace('http', 'ws')}/api/v1/recorder/${id}/ws`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  const messages: StreamMessage[] = [];
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as StreamMessage));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { messages, close: () => ws.close() };
}

describe('store budgets through the server', () => {
  it('evicts FIFO through the store past the per-session limit and says so on the stream: __evict__ ids and evicted counts', async () => {
    const session = await startSession('fifo');
    const stream = await subscribe(session.id);
    for (let i = 0; i < 5; i++) await send(session.proxyUrl, `/json?n=${i}`);
    const evictIds = () => stream.messages.flatMap((m) => (m.type === 'entry' && m.entry.id === EVICT_ENTRY_ID ? [(m.entry as { notes: string }).notes] : []));
    const evicted = () => stream.messages.flatMap((m) => (m.type === 'evicted' ? [m.eviction] : []));
    await waitFor('two evictions on the stream', () => evicted().reduce((n, e) => n + e.count, 0) >= 2);
    stream.close();

    const recorded = stream.messages.flatMap((m) => (m.type === 'entry' && m.entry.id !== EVICT_ENTRY_ID ? [m.entry as Entry] : []));
    expect(recorded.map((e) => new URL(e.request.url).searchParams.get('n'))).toEqual(['0', '1', '2', '3', '4']);
    // The oldest two went, in order, and each `evicted` message counts the __evict__ messages sent just before it.
    expect(evictIds()).toEqual([recorded[0]!.id, recorded[1]!.id]);
    // The limit reached is named, so a client can say "session limit (3)".
    for (const eviction of evicted()) expect(eviction).toMatchObject({ sessionId: session.id, reason: 'session-limit', limit: 3 });
    let sinceLast = 0;
    for (const m of stream.messages) {
      if (m.type === 'entry' && m.entry.id === EVICT_ENTRY_ID) sinceLast++;
      if (m.type === 'evicted') {
        expect(m.eviction.count).toBe(sinceLast);
        sinceLast = 0;
      }
    }
    expect(sinceLast).toBe(0);
    expect((await entries(session.id)).map((e) => e.id)).toEqual(recorded.slice(2).map((e) => e.id));
    await shared.server.call('DELETE', `/${session.id}`);
  });

  it('reports entries and bytes per session and in total on GET /storage', async () => {
    const a = await startSession('usage-a');
    const b = await startSession('usage-b');
    await send(a.proxyUrl, '/echo', 'x'.repeat(5000));
    await send(a.proxyUrl, '/echo', 'y'.repeat(5000));
    await send(b.proxyUrl, '/json');
    await waitFor('three entries', async () => (await entries(a.id)).length === 2 && (await entries(b.id)).length === 1);

    const answer = await shared.server.call('GET', '/storage');
    expect(answer.status).toBe(200);
    const storage = answer.json.storage as StorageReport;
    expect(storage.state).toBe('ok');
    const { usage } = storage;
    expect(usage).toMatchObject({ maxEntries: 1_000_000, maxBytes: 2 * 1024 ** 3, evicted: 0 });
    const ofA = usage.sessions.find((s) => s.sessionId === a.id)!;
    const ofB = usage.sessions.find((s) => s.sessionId === b.id)!;
    expect(ofA.entries).toBe(2);
    expect(ofB.entries).toBe(1);
    // Both bodies went each way (echo): a's bytes cover them, b's small exchange costs far less.
    expect(ofA.bytes).toBeGreaterThanOrEqual(4 * 5000);
    expect(ofB.bytes).toBeGreaterThan(0);
    expect(ofB.bytes).toBeLessThan(ofA.bytes);
    expect(usage.entries).toBe(usage.sessions.reduce((n, s) => n + s.entries, 0));
    expect(usage.bytes).toBeGreaterThanOrEqual(ofA.bytes + ofB.bytes);
  });

  it('answers search with at most `limit` ids, and refuses a limit out of range', async () => {
    const session = await startSession('search');
    for (let i = 0; i < 3; i++) await send(session.proxyUrl, `/json?needle-${i}`);
    await waitFor('three entries', async () => (await entries(session.id)).length === 3);
    expect((await shared.server.call('GET', `/${session.id}/entries/search?q=needle`)).json.ids).toHaveLength(3);
    const limited = await shared.server.call('GET', `/${session.id}/entries/search?q=needle&limit=2`);
    expect(limited.json.ids).toEqual((await entries(session.id)).slice(0, 2).map((e) => e.id));
    const refused = await shared.server.call('GET', `/${session.id}/entries/search?q=needle&limit=0`);
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatch(/limit must be an integer from 1 to 10000/);
  });

  it('past the total-entries budget evicts the oldest entries of a stopped session first, and counts them in usage', async () => {
    const small = await startTestServer({ limits: { maxTotalEntries: 4 } });
    try {
      const start = async (name: string) => (await small.call('POST', '/start', { targetUrl: shared.upstream.url, name })).json.session as { id: string; proxyUrl: string };
      const list = async (id: string) => ((await small.call('GET', `/${id}/entries?limit=100&bodies=false`)).json.entries as Entry[]).map((e) => e.id);
      const old = await start('old');
      for (let i = 0; i < 3; i++) await send(old.proxyUrl, `/json?old=${i}`);
      await waitFor('three old entries', async () => (await list(old.id)).length === 3);
      const before = await list(old.id);
      await small.call('POST', `/${old.id}/stop`);
      const live = await start('live');
      for (let i = 0; i < 3; i++) await send(live.proxyUrl, `/json?live=${i}`);
      await waitFor('three live entries', async () => (await list(live.id)).length === 3);
      // 6 entries against a budget of 4: the stopped session's two oldest went, the running one kept all.
      expect(await list(old.id)).toEqual(before.slice(2));
      const { usage } = (await small.call('GET', '/storage')).json.storage as StorageReport;
      expect(usage).toMatchObject({ entries: 4, maxEntries: 4, evicted: 2 });
    } finally {
      await small.close();
    }
  });
});
