/**
 * Hostile probes of map local under churn and scale, through real session proxies pointed at a closed port (so an
 * answer that is not a mock's is a 502): concurrent upserts, patches, deletes and namespace moves while clients
 * hammer the session on keep-alive connections, in process and in two proxy workers (no failed or torn answer);
 * the store filled to its 10,000 mocks while traffic flows; and 10,000 regex routes that no literal start can
 * rule out, measured against as many `:param` routes in the same run.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { mapLocalEnv } from '../engine/pipeline/map-local-test-support.js';
import type { MockInput } from '../../src-shared/mocks.js';

interface Answer {
  status: number;
  body: string;
  ms: number;
}

function get(url: string, agent: http.Agent): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const STABLE = `stable:${'s'.repeat(32 * 1024)}`;
const churnBody = (v: number) => `v${v}:${'c'.repeat(16 * 1024 + (v % 97))}`;
const CHURN = /^v(\d+):(c+)$/;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

describe.each([
  ['in process', 0],
  ['in two proxy workers', 2],
])('map local under churn, proxies %s', (_where, proxyWorkers) => {
  const env = mapLocalEnv(proxyWorkers);

  it('upserts, patches, deletes and moves against live traffic: every answer whole, from a mock or the 502 of no mock, none failed or torn', async () => {
    const ns = `churn${proxyWorkers}`;
    await env.ops.saveMocks({ mocks: [{ id: `stable-${ns}`, namespace: ns, http: { route: '/stable' }, response: { payload: STABLE } }] });
    const { session } = await env.engine.recorder.startSession({ targetUrl: env.target, namespace: ns, mapLocal: { enabled: true } });
    let stop = false;
    const failures: string[] = [];
    const seen = { stable: 0, churn: 0, noMock: 0, versions: new Set<number>() };

    const client = async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (!stop) {
          const stable = await get(`${session.proxyUrl}/stable`, agent).catch((e: Error) => ({ status: -1, body: e.message, ms: 0 }));
          if (stable.status !== 200 || stable.body !== STABLE) failures.push(`/stable: ${stable.status} ${stable.body.slice(0, 60)}`);
          else seen.stable++;
          const churn = await get(`${session.proxyUrl}/churn/${seen.churn % 7}`, agent).catch((e: Error) => ({ status: -1, body: e.message, ms: 0 }));
          const match = CHURN.exec(churn.body);
          if (churn.status === 502) seen.noMock++;
          else if (churn.status === 200 && match && churn.body === churnBody(Number(match[1]))) {
            seen.churn++;
            seen.versions.add(Number(match[1]));
          } else failures.push(`/churn: ${churn.status} ${churn.body.slice(0, 60)}`);
        }
      } finally {
        agent.destroy();
      }
    };

    const churner = async () => {
      for (let v = 1; !stop; v++) {
        const mock = (id: string, extra: Partial<MockInput> = {}): MockInput => ({ id, namespace: ns, http: { route: '/churn/:n' }, response: { payload: churnBody(v) }, ...extra });
        await env.ops.saveMocks({ mocks: [mock('churn-a'), mock('churn-b', { priority: v % 3 })] });
        await new Promise((r) => setTimeout(r, 2));
        await env.ops.patchMock({ id: 'churn-a', response: { payload: churnBody(v + 1_000_000) } });
        await new Promise((r) => setTimeout(r, 2));
        await env.ops.saveMocks({ mocks: Array.from({ length: 50 }, (_, i) => ({ id: `noise-${ns}-${i}`, namespace: ns, http: { route: `^/noise/${i}/.*` }, response: { payload: 'n' } })) });
        await env.ops.deleteMock({ id: 'churn-b' });
        if (v % 2 === 0) await env.ops.patchMock({ id: 'churn-a', namespace: 'elsewhere' });
        else await env.ops.deleteMock({ id: 'churn-a' });
        for (let i = 0; i < 50; i += 2) await env.ops.deleteMock({ id: `noise-${ns}-${i}` });
        // This engine's store is in memory: its changes settle in microtasks, which alone would starve the clients
        // (through REST every change comes with I/O anyway).
        await new Promise((r) => setTimeout(r, 2));
      }
    };

    const clients = Array.from({ length: 4 }, client);
    const churning = churner();
    await new Promise((r) => setTimeout(r, 4000));
    stop = true;
    await Promise.all([...clients, churning]);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(seen.stable).toBeGreaterThan(50);
    // The probe only means something if both outcomes of /churn were seen, many times, across many versions.
    expect(seen.churn).toBeGreaterThan(10);
    expect(seen.noMock).toBeGreaterThan(0);
    expect(seen.versions.size).toBeGreaterThan(3);
    console.log(`churn (${_where}): ${seen.stable} stable, ${seen.churn} mocked churn answers over ${seen.versions.size} versions, ${seen.noMock} with no mock`);
    await env.engine.recorder.stopSession({ id: session.id });
  }, 60_000);
});

describe('10,000 mocks', () => {
  const env = mapLocalEnv();

  async function fill(ns: string, count: number, route: (i: number) => string): Promise<void> {
    for (let start = 0; start < count; start += 1000) {
      const mocks = Array.from({ length: Math.min(1000, count - start) }, (_, k) => ({ id: `${ns}-${start + k}`, namespace: ns, http: { route: route(start + k) }, response: { payload: `m${start + k}` } }));
      await env.ops.saveMocks({ mocks });
      await new Promise((r) => setImmediate(r));
    }
  }

  async function clear(ns: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await env.ops.deleteMock({ id: `${ns}-${i}` });
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  it('the store filled to its bound while traffic flows: every answer right; one more mock is refused; the cost of an unmatched request measured', async () => {
    await env.ops.saveMocks({ mocks: [{ id: 'fill-stable', namespace: 'fill', http: { route: '/stable' }, response: { payload: STABLE } }] });
    const { session } = await env.engine.recorder.startSession({ targetUrl: env.target, namespace: 'fill', mapLocal: { enabled: true } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const wrong: string[] = [];
    const before: number[] = [];
    for (let i = 0; i < 30; i++) before.push((await get(`${session.proxyUrl}/none/x`, agent)).ms);
    let stop = false;
    const during: number[] = [];
    const traffic = (async () => {
      while (!stop) {
        const a = await get(`${session.proxyUrl}/stable`, agent);
        during.push(a.ms);
        if (a.status !== 200 || a.body !== STABLE) wrong.push(`${a.status} ${a.body.slice(0, 40)}`);
      }
    })();
    await fill('fill', 9_999, (i) => `/items/${i}/:id`);
    stop = true;
    await traffic;
    await expect(env.ops.saveMocks({ mocks: [{ id: 'one-too-many', namespace: 'fill', http: { route: '/x' }, response: {} }] })).rejects.toThrow(/at most 10000 mocks/);
    const last = await get(`${session.proxyUrl}/items/9998/abc`, agent);
    expect(last).toMatchObject({ status: 200, body: 'm9998' });
    const after: number[] = [];
    for (let i = 0; i < 30; i++) after.push((await get(`${session.proxyUrl}/none/x`, agent)).ms);
    expect(wrong).toEqual([]);
    console.log(`unmatched request, 1 mock: median ${median(before).toFixed(1)} ms; 10,000 :param mocks: ${median(after).toFixed(1)} ms; /stable while filling: median ${median(during).toFixed(1)} ms, max ${Math.max(...during).toFixed(0)} ms over ${during.length}`);
    agent.destroy();
    await env.engine.recorder.stopSession({ id: session.id });
    await clear('fill', 9_999);
    await env.ops.deleteMock({ id: 'fill-stable' });
  }, 240_000);

  it('10,000 regex routes with no literal start: the right mock answers; the cost of an unmatched request against :param routes measured', async () => {
    await fill('regex', 9_999, (i) => `^.*/r${i}$`);
    const { session } = await env.engine.recorder.startSession({ targetUrl: env.target, namespace: 'regex', mapLocal: { enabled: true } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect(await get(`${session.proxyUrl}/a/b/r9998`, agent)).toMatchObject({ status: 200, body: 'm9998' });
    const unmatched: number[] = [];
    for (let i = 0; i < 10; i++) unmatched.push((await get(`${session.proxyUrl}/none/x`, agent)).ms);
    // The API shares the proxy's event loop: what one unmatched request costs it.
    const apiStarted = performance.now();
    await Promise.all([get(`${session.proxyUrl}/none/y`, agent), env.engine.recorder.listEntries({ id: session.id, limit: 1 })]);
    console.log(`unmatched request, 10,000 ^.* regex routes: median ${median(unmatched).toFixed(1)} ms (max ${Math.max(...unmatched).toFixed(0)} ms); alongside an API read ${(performance.now() - apiStarted).toFixed(0)} ms`);
    agent.destroy();
    await env.engine.recorder.stopSession({ id: session.id });
    await clear('regex', 9_999);
  }, 240_000);
});
