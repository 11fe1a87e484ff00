/**
 * Toxics through the whole product on 127.0.0.1: sessions started and changed through the REST API, real clients
 * (Node's http, curl for exit codes), a real upstream that counts what reaches it, entries read back over REST.
 * Delays and jitter, injected errors at a rate (inside a 99.9% binomial interval, and the same sequence again
 * from a seed), failFirst, resets and hangs as curl sees them, scoping by match, a live replacement under load
 * with no failed request and no closed connection, clients that leave and sessions that stop mid-toxic, and invalid
 * toxics refused naming the field.
 * Bandwidth and slow reads, which take seconds each, are in toxics-shaping.int.test.ts.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../src-shared/model.js';
import { curl } from '../../test-support/curl.js';
import { serverWithUpstream } from '../../test-support/server.js';
import { startEngine } from '../../test-support/engine.js';
import { entriesOf, entryFor, startSession, startToxicUpstream, timedRequest } from './toxics-test-support.js';

// The live-replacement test sends as many requests as a fast machine manages: past the default 1,000-entry cap.
const env = serverWithUpstream({ limits: { maxEntriesPerSession: 100_000 } }, startToxicUpstream);

const arrivalsAt = (path: string) => env.upstream.arrivals.filter((a) => a.path === path);

/** `count` requests one after another on one keep-alive connection; their statuses in order. */
async function statusesInOrder(proxyUrl: string, prefix: string, count: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) statuses.push((await timedRequest(proxyUrl, `${prefix}/${i}`, { agent })).status);
    return statuses;
  } finally {
    agent.destroy();
  }
}

describe('delay and jitter', () => {
  it('hold each request delayMs ± delayJitter before it goes upstream, uniformly spread, and the entry says how long', async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { http: { delayMs: 150, delayJitter: 100 } } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sent: Array<{ path: string; startedAt: number; endedAt: number }> = [];
    for (let i = 0; i < 30; i++) {
      const path = `/delay/${i}`;
      const res = await timedRequest(session.proxyUrl, path, { agent });
      expect(res.status).toBe(200);
      sent.push({ path, startedAt: res.startedAt, endedAt: res.endedAt });
    }
    agent.destroy();
    const entries = await entriesOf(env.server, session.id, 30);
    const delays: number[] = [];
    for (const { path, startedAt, endedAt } of sent) {
      const injected = entryFor(entries, path).injected;
      expect(injected).toMatchObject({ kind: 'delay', delayMs: expect.any(Number) });
      const delay = injected!.delayMs!;
      delays.push(delay);
      expect(delay).toBeGreaterThanOrEqual(50);
      expect(delay).toBeLessThanOrEqual(250);
      // The upstream saw it no earlier than the delay after the client sent it, and the client got its answer soon after.
      const [arrival] = arrivalsAt(path);
      expect(arrival!.at - startedAt).toBeGreaterThanOrEqual(delay - 1);
      expect(endedAt - startedAt).toBeLessThan(delay + 2000);
    }
    // Spread over the whole interval, on both sides of delayMs.
    expect(delays.filter((d) => d < 150).length).toBeGreaterThan(3);
    expect(delays.filter((d) => d > 150).length).toBeGreaterThan(3);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(100);
  });

  it('read the reference\'s flat form (toxics.delayMs at the top level) as http toxics', async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { delayMs: 300 } });
    expect(session.toxics).toEqual({ delayMs: 300 });
    const res = await timedRequest(session.proxyUrl, '/flat');
    expect(res.status).toBe(200);
    expect(arrivalsAt('/flat')[0]!.at - res.startedAt).toBeGreaterThanOrEqual(299);
    expect(entryFor(await entriesOf(env.server, session.id, 1), '/flat').injected).toEqual({ kind: 'delay', delayMs: 300 });
  });
});

describe('injected errors', () => {
  it('errorRate 0.3 fails a share of 1,000 requests inside the 99.9% binomial interval, none of them reaching the upstream', async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { http: { errorRate: 0.3 } } });
    const before = env.upstream.arrivals.length;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const statuses: number[] = [];
    // Eight clients at once, 125 requests each.
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        for (let i = 0; i < 125; i++) statuses.push((await timedRequest(session.proxyUrl, `/rate/${c}/${i}`, { agent })).status);
      }),
    );
    agent.destroy();
    const failed = statuses.filter((s) => s === 503).length;
    expect(statuses.filter((s) => s !== 503 && s !== 200)).toEqual([]);
    // n = 1000, p = 0.3: mean 300, sd 14.5; two-sided 99.9% is ±3.29 sd.
    expect(failed).toBeGreaterThanOrEqual(253);
    expect(failed).toBeLessThanOrEqual(347);
    expect(env.upstream.arrivals.length - before).toBe(1000 - failed);
    const entries = await entriesOf(env.server, session.id, 1000);
    const injected = entries.filter((e) => e.injected);
    expect(injected.length).toBe(failed);
    for (const entry of injected) {
      expect(entry.injected).toEqual({ kind: 'error', cause: 'errorRate', status: 503 });
      expect(entry.response?.statusCode).toBe(503);
      expect(entry.timings).toMatchObject({ connectMs: -1, waitMs: -1 });
    }
  });

  it('a seed gives exactly the same sequence again; another seed another one', async () => {
    const toxics = (seed: number) => ({ http: { errorRate: 0.3, errorStatus: 504, seed } });
    const first = await startSession(env.server, { targetUrl: env.upstream.url, toxics: toxics(42) });
    const again = await startSession(env.server, { targetUrl: env.upstream.url, toxics: toxics(42) });
    const other = await startSession(env.server, { targetUrl: env.upstream.url, toxics: toxics(43) });
    const a = await statusesInOrder(first.proxyUrl, '/seeded', 200);
    const b = await statusesInOrder(again.proxyUrl, '/seeded', 200);
    const c = await statusesInOrder(other.proxyUrl, '/seeded', 200);
    expect(a.filter((s) => s === 504).length).toBeGreaterThan(20);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    // A replacement starts the sequence afresh: the same seed through PUT gives the same statuses again.
    expect((await env.server.call('PUT', `/${first.id}/toxics`, { toxics: toxics(42) })).status).toBe(200);
    expect(await statusesInOrder(first.proxyUrl, '/seeded-again', 200)).toEqual(a);
  });

  it('failFirst fails the first N matching requests (curl -f exits 22), then lets them through', async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { http: { failFirst: 2, errorStatus: 429 } } });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await curl(['-f', `${session.proxyUrl}/retry`]));
    expect(runs.map((r) => [r.exitCode, r.status])).toEqual([[22, 429], [22, 429], [0, 200]]);
    expect(arrivalsAt('/retry')).toHaveLength(1);
    const entries = (await entriesOf(env.server, session.id, 3)).map((e) => e.injected);
    expect(entries).toEqual([
      { kind: 'error', cause: 'failFirst', status: 429 },
      { kind: 'error', cause: 'failFirst', status: 429 },
      undefined,
    ]);
  });

  it('resetRate resets the connection with no answer: curl reads a reset (exit 56)', async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { http: { resetRate: 1 } } });
    const run = await curl([`${session.proxyUrl}/reset`]);
    expect(run.exitCode, run.stderr).toBe(56);
    expect(run.stderr).toMatch(/reset/i);
    expect(arrivalsAt('/reset')).toHaveLength(0);
    const [entry] = await entriesOf(env.server, session.id, 1);
    expect(entry!.injected).toEqual({ kind: 'reset', cause: 'resetRate' });
    expect(entry!.response).toBeUndefined();
    expect(entry!.error).toMatchObject({ code: 'TOXIC_RESET', message: expect.stringContaining("injected by the session's toxics") });
  });

  it('timeoutRate holds the request unanswered until the client gives up: curl --max-time exits 28', async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { http: { timeoutRate: 1 } } });
    const started = performance.now();
    const run = await curl(['--max-time', '1', '-X', 'POST', '--data', 'held body', `${session.proxyUrl}/hang`]);
    expect(run.exitCode, run.stderr).toBe(28);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(arrivalsAt('/hang')).toHaveLength(0);
    const [entry] = await entriesOf(env.server, session.id, 1);
    expect(entry!.injected).toEqual({ kind: 'timeout', cause: 'timeoutRate' });
    expect(entry!.response).toBeUndefined();
    expect(entry!.request.body.size).toBe('held body'.length);
    expect(entry!.error?.code).toBe('TOXIC_TIMEOUT');
    expect(entry!.durationMs).toBeGreaterThanOrEqual(900);
  });
});

describe('clients that leave, sessions that stop', () => {
  it('a client that leaves during the delay sends nothing upstream', async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { delayMs: 1500 } });
    const run = await curl(['--max-time', '0.3', `${session.proxyUrl}/left-early`]);
    expect(run.exitCode).toBe(28);
    const [entry] = await entriesOf(env.server, session.id, 1);
    expect(entry!.error?.code).toBe('ABORTED');
    await new Promise((r) => setTimeout(r, 1500));
    expect(arrivalsAt('/left-early')).toHaveLength(0);
  });

  it('stopping a session ends the requests it holds', async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { timeoutRate: 1 } });
    const held = curl([`${session.proxyUrl}/held-until-stop`], { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await env.server.call('POST', `/${session.id}/stop`)).status).toBe(200);
    // The connection closed with no answer ("Empty reply from server"), not curl killed at its time limit.
    const run = await held;
    expect(run.exitCode, run.stderr).toBe(52);
    expect(arrivalsAt('/held-until-stop')).toHaveLength(0);
  });
});

describe('scoping by match', () => {
  it('applies the first set whose method, path and host match, and nothing to the rest', async () => {
    const other = await startToxicUpstream('127.0.0.2');
    try {
      const session = await startSession(env.server, {
        mode: 'forward',
        toxics: {
          http: [
            { match: { method: 'POST', path: '/flaky/*' }, errorRate: 1, errorStatus: 500 },
            { match: { host: '127.0.0.2' }, errorRate: 1, errorStatus: 502 },
            { match: { path: ['/slow', '/slower'] }, delayMs: 200 },
          ],
        },
      });
      const via = (base: string, method: string, path: string) => timedRequest(session.proxyUrl, path, { method, absolute: `${base}${path}` });
      const results = {
        postFlaky: (await via(env.upstream.url, 'POST', '/flaky/a')).status,
        getFlaky: (await via(env.upstream.url, 'GET', '/flaky/a')).status,
        postOther: (await via(env.upstream.url, 'POST', '/other')).status,
        otherHost: (await via(other.url, 'GET', '/anything')).status,
        otherHostFlaky: (await via(other.url, 'POST', '/flaky/b')).status,
        slower: (await via(env.upstream.url, 'GET', '/slower')).status,
      };
      expect(results).toEqual({ postFlaky: 500, getFlaky: 200, postOther: 200, otherHost: 502, otherHostFlaky: 500, slower: 200 });
      expect(other.arrivals).toEqual([]);
      const entries = await entriesOf(env.server, session.id, 6);
      const byUrl = (url: string) => entries.find((e) => e.request.url === url)!.injected;
      expect(byUrl(`${env.upstream.url}/flaky/a`)).toEqual({ kind: 'error', cause: 'errorRate', status: 500, set: 0 });
      expect(entries.filter((e) => e.request.url === `${env.upstream.url}/flaky/a`).map((e) => e.injected?.status)).toEqual([500, undefined]);
      expect(byUrl(`${env.upstream.url}/other`)).toBeUndefined();
      expect(byUrl(`${other.url}/anything`)).toEqual({ kind: 'error', cause: 'errorRate', status: 502, set: 1 });
      expect(byUrl(`${other.url}/flaky/b`)).toMatchObject({ status: 500, set: 0 });
      expect(byUrl(`${env.upstream.url}/slower`)).toEqual({ kind: 'delay', delayMs: 200, set: 2 });
    } finally {
      await other.close();
    }
  });
});

describe('live replacement', () => {
  it('replaces a running session\'s toxics under load: no failed request, no closed connection, the new ones apply', async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const sockets = new Set<unknown>();
    const failures: string[] = [];
    let done = false;
    let count = 0;
    const loop = async (c: number) => {
      for (let i = 0; !done; i++) {
        const path = `/live/${c}/${i}`;
        try {
          const res = await timedRequest(session.proxyUrl, path, { agent });
          sockets.add(res.socket);
          count++;
          if (res.status !== 200 || res.body.toString() !== `ok GET ${path}`) failures.push(`${path}: ${res.status} ${res.body.toString()}`);
        } catch (e) {
          failures.push(`${path}: ${(e as Error).message}`);
        }
      }
    };
    const clients = Array.from({ length: 4 }, (_, c) => loop(c));
    const changes = [{ http: { delayMs: 30 } }, { http: { bandwidthKBps: 256, delayMs: 5, delayJitter: 5 } }, {}, { delayMs: 10 }, { http: [{ match: { path: '/nowhere' }, errorRate: 1 }] }];
    for (const toxics of changes) {
      await new Promise((r) => setTimeout(r, 250));
      const put = await env.server.call('PUT', `/${session.id}/toxics`, { toxics });
      expect(put.status, put.text).toBe(200);
      expect(put.json).toEqual({ toxics });
    }
    await new Promise((r) => setTimeout(r, 250));
    done = true;
    await Promise.all(clients);
    agent.destroy();
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(40);
    // Four keep-alive connections carried everything: none was closed by a replacement.
    expect(sockets.size).toBeLessThanOrEqual(4);
    const entries = await entriesOf(env.server, session.id, count);
    const kinds = new Set(entries.map((e: Entry) => e.injected?.kind ?? 'none'));
    expect(kinds.has('delay') && kinds.has('none')).toBe(true);
    expect([...kinds].filter((k) => !['delay', 'bandwidth', 'none'].includes(k))).toEqual([]);
    expect(entries.some((e) => e.injected?.bandwidthKBps === 256)).toBe(true);
    expect((await env.server.call('GET', `/${session.id}/toxics`)).json).toEqual({ toxics: changes.at(-1) });
    expect((await env.server.call('GET', `/${session.id}`)).json.session.toxics).toEqual(changes.at(-1));
  });

  it('keeps the toxics of a stopped session for its restart, and clears them with {}', async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { http: { errorRate: 1, errorStatus: 418 } } });
    expect((await env.server.call('POST', `/${session.id}/stop`)).status).toBe(200);
    expect((await env.server.call('PUT', `/${session.id}/toxics`, { toxics: { http: { errorRate: 1, errorStatus: 451 } } })).status).toBe(200);
    const restarted = (await env.server.call('POST', `/${session.id}/restart`)).json.session;
    expect((await timedRequest(restarted.proxyUrl, '/after-restart')).status).toBe(451);
    expect((await env.server.call('PUT', `/${session.id}/toxics`, { toxics: {} })).json).toEqual({ toxics: {} });
    expect((await timedRequest(restarted.proxyUrl, '/cleared')).status).toBe(200);
    expect((await env.server.call('GET', `/${session.id}`)).json.session.toxics).toBeUndefined();
  });

  it('reaches sessions that run in proxy worker processes', async () => {
    const engine = await startEngine({ proxyWorkers: 1 });
    try {
      const { session } = await engine.recorder.startSession({ targetUrl: env.upstream.url, toxics: { http: { failFirst: 1, errorStatus: 500 } } });
      expect((await timedRequest(session.proxyUrl, '/worker')).status).toBe(500);
      expect((await timedRequest(session.proxyUrl, '/worker')).status).toBe(200);
      await engine.recorder.updateToxics({ id: session.id, toxics: { http: { errorRate: 1, errorStatus: 503 } } });
      expect((await timedRequest(session.proxyUrl, '/worker')).status).toBe(503);
    } finally {
      await engine.close();
    }
  });
});

describe('invalid toxics', () => {
  it('are refused with a 400 naming the field, at start and on replacement, and change nothing', async () => {
    const bad: Array<[unknown, string]> = [
      [{ http: { errorRate: 2 } }, 'toxics.http.errorRate'],
      [{ errorRate: -0.1 }, 'toxics.errorRate'],
      [{ http: { delayMs: 1.5 } }, 'toxics.http.delayMs'],
      [{ http: { bandwidthKBps: 2_000_000 } }, 'toxics.http.bandwidthKBps'],
      [{ http: { errorStatus: 200 } }, 'toxics.http.errorStatus'],
      [{ http: { latency: 5 } }, 'toxics.http.latency'],
      [{ http: [{ delayMs: 1 }, { match: { path: '' } }] }, 'toxics.http.1.match.path'],
      [{ http: { errorRate: 0.5, resetRate: 0.4, timeoutRate: 0.2 } }, 'toxics.http.timeoutRate'],
      [{ delayMs: 5, http: { delayMs: 5 } }, 'toxics.delayMs'],
      [{ sse: { delayMs: -1 } }, 'toxics.sse.delayMs'],
      ['slow', 'toxics'],
    ];
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { delayMs: 1 } });
    for (const [toxics, field] of bad) {
      const start = await env.server.call('POST', '/start', { targetUrl: env.upstream.url, toxics });
      expect([start.status, start.json.code, start.json.field], JSON.stringify(toxics)).toEqual([400, 'bad_request', field]);
      // An unknown field is named by its parent's message ("toxics.http: unknown field latency"), as everywhere.
      expect(start.json.error.startsWith(field.endsWith('latency') ? 'toxics.http: unknown field latency' : `${field}: `), start.json.error).toBe(true);
      const put = await env.server.call('PUT', `/${session.id}/toxics`, { toxics });
      expect([put.status, put.json.field], JSON.stringify(toxics)).toEqual([400, field]);
    }
    expect((await env.server.call('GET', `/${session.id}/toxics`)).json).toEqual({ toxics: { delayMs: 1 } });
    expect((await env.server.call('PUT', '/no-such-session/toxics', { toxics: {} })).status).toBe(404);
    expect((await env.server.call('PUT', `/${session.id}/toxics`, {})).json.field).toBe('toxics');
  });
});
