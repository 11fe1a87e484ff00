import { describe, expect, it } from 'vitest';
import type { Entry, Timings } from '../../../src-shared/model.js';
import { curlVariants, toCurl, type CurlSession } from './curl-command.js';
import { waterfallSegments } from './waterfall-segments.js';

const request = (over: Partial<Entry['request']>): Entry['request'] => ({
  method: 'GET', url: 'https://api.example.com/v1/things?a=1', httpVersion: '1.1', headers: [], body: { size: 0, capturedSize: 0, truncated: false }, ...over,
});
const entry = (over: Partial<Entry> = {}, req: Partial<Entry['request']> = {}): Entry => ({
  id: 'e', sessionId: 's', entryType: 'http', startedAt: '', durationMs: 1, tags: [], notes: '', mapLocal: false,
  timings: { dnsMs: -1, connectMs: -1, tlsMs: -1, sendMs: 0, waitMs: 0, recvMs: 0, totalMs: 0 },
  request: request(req), ...over,
});
const reverse: CurlSession = { mode: 'reverse', proxyUrl: 'http://127.0.0.1:8081', targetUrl: 'https://api.example.com' };
const forward: CurlSession = { mode: 'forward', proxyUrl: 'http://127.0.0.1:8082' };
const byRoute = (e: Entry, s: CurlSession) => Object.fromEntries(curlVariants(e, s).map((v) => [v.route, v.command]));

describe('Copy as cURL, per route', () => {
  it('reverse mode: through the proxy to its own address, or upstream; never the proxy Host with the upstream URL', () => {
    const e = entry({}, { headers: [['Host', '127.0.0.1:8081'], ['Accept', '*/*']] });
    const commands = byRoute(e, reverse);
    expect(commands.proxy).toBe(`curl 'http://127.0.0.1:8081/v1/things?a=1' -H 'Accept: */*'`);
    expect(commands.upstream).toBe(`curl 'https://api.example.com/v1/things?a=1' -H 'Accept: */*'`);
  });

  it('reverse mode keeps the target path prefix out of the proxied URL', () => {
    const e = entry({}, { url: 'https://api.example.com/base/v1/x', headers: [['Host', 'localhost:8081']] });
    expect(byRoute(e, { ...reverse, targetUrl: 'https://api.example.com/base/' }).proxy).toBe('curl http://127.0.0.1:8081/v1/x');
  });

  it('forward mode: --proxy for the proxied route; Host kept only where it says something curl would not', () => {
    const e = entry({}, { url: 'http://svc.test:8080/p', headers: [['Host', 'svc.test:8080'], ['Proxy-Authorization', 'Basic eA=='], ['X-A', '1']] });
    const commands = byRoute(e, forward);
    expect(commands.proxy).toBe(`curl --proxy http://127.0.0.1:8082 http://svc.test:8080/p -H 'Proxy-Authorization: Basic eA==' -H 'X-A: 1'`);
    expect(commands.upstream).toBe(`curl http://svc.test:8080/p -H 'X-A: 1'`);
    const vhost = entry({}, { url: 'http://127.0.0.1:9000/', headers: [['Host', 'other.test']] });
    expect(byRoute(vhost, forward).upstream).toBe(`curl http://127.0.0.1:9000/ -H 'Host: other.test'`);
  });

  it('offers nothing for a tunnel', () => {
    const tunnel = entry({ entryType: 'tunnel' }, { method: 'CONNECT', url: 'example.com:443' });
    expect(curlVariants(tunnel, forward)).toEqual([]);
  });

  it('without session details repeats the request against its URL, as before', () => {
    expect(toCurl(entry({}, { method: 'PUT', body: { size: 1, capturedSize: 1, truncated: false, text: 'a' } })))
      .toBe(`curl -X PUT 'https://api.example.com/v1/things?a=1' --data-raw a`);
  });
});

describe('waterfall segments', () => {
  const timings = (t: Partial<Timings>): Timings => ({ dnsMs: -1, connectMs: -1, tlsMs: -1, sendMs: 0, waitMs: 0, recvMs: 0, totalMs: 0, ...t });

  it('shows the time outside the measured phases as its own segment, so the bars add up to the total', () => {
    const segments = waterfallSegments(timings({ dnsMs: 1, connectMs: 1.4, sendMs: 0.5, waitMs: 5, recvMs: 0.5, totalMs: 12.2 }));
    const other = segments.find((s) => s.key === 'otherMs');
    expect(other?.value).toBeCloseTo(3.8, 5);
    const happened = segments.filter((s) => s.value >= 0);
    expect(happened.reduce((sum, s) => sum + s.value, 0)).toBeCloseTo(12.2, 5);
    expect(happened.reduce((sum, s) => sum + s.width, 0)).toBeCloseTo(100, 5);
    expect(other!.left + other!.width).toBeCloseTo(100, 5);
  });

  it('adds no segment when the phases account for the total, and keeps phases that did not happen', () => {
    const segments = waterfallSegments(timings({ sendMs: 1, waitMs: 2, recvMs: 1, totalMs: 4.01 }));
    expect(segments.map((s) => s.key)).toEqual(['dnsMs', 'connectMs', 'tlsMs', 'sendMs', 'waitMs', 'recvMs']);
    expect(segments[0]!.value).toBe(-1);
    expect(segments[5]!.left + segments[5]!.width).toBeCloseTo(100, 0);
  });
});
