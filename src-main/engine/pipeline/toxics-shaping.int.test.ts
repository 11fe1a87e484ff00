/**
 * Bandwidth and slow reads through real sockets: 512 KiB at 64 KB/s (1 KB = 1,024 bytes) must take 8 s ± 15%,
 * and must stream. The upstream (or the client, for uploads) holds back the rest of its body until the other side
 * has seen the first bytes: a proxy that buffered the whole body would never deliver them, and the test would
 * fail instead of passing slowly.
 */
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { serverWithUpstream } from '../../test-support/server.js';
import { entriesOf, startSession, startToxicUpstream, timedRequest } from './toxics-test-support.js';

const SIZE = 512 * 1024;
/** 512 KiB at 64 KiB/s: 8 s, ± 15%. */
const [LOW, HIGH] = [8_000 * 0.85, 8_000 * 1.15];

const env = serverWithUpstream({}, startToxicUpstream);

describe('bandwidthKBps', () => {
  it('streams 512 KiB at 64 KB/s in 8 s ± 15%, the first bytes reaching the client before the upstream sent its last', { timeout: 30_000 }, async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { http: { bandwidthKBps: 64 } } });
    let halfAt = 0;
    const res = await timedRequest(session.proxyUrl, `/gated?size=${SIZE}`, {
      onFirstByte: () => env.upstream.openGate(),
      onProgress: (received) => {
        if (!halfAt && received >= SIZE / 2) halfAt = performance.now();
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(SIZE);
    const lastWrite = env.upstream.lastWriteAt();
    expect(lastWrite).toBeDefined();
    expect(res.firstByteAt).toBeLessThan(lastWrite!);
    const took = res.endedAt - res.startedAt;
    expect(took).toBeGreaterThanOrEqual(LOW);
    expect(took).toBeLessThanOrEqual(HIGH);
    // Steady, not in bursts: half the body has arrived around half-way.
    expect((halfAt - res.startedAt) / took).toBeGreaterThan(0.4);
    expect((halfAt - res.startedAt) / took).toBeLessThan(0.6);
    const [entry] = await entriesOf(env.server, session.id, 1);
    expect(entry!.injected).toEqual({ kind: 'bandwidth', bandwidthKBps: 64 });
    expect(entry!.response?.body).toMatchObject({ size: SIZE, capturedSize: SIZE });
    expect(entry!.durationMs).toBeGreaterThanOrEqual(LOW);
  });
});

describe('slowReadKBps', () => {
  it('reads a 512 KiB upload at 64 KB/s in 8 s ± 15%, the upstream getting its first bytes before the client sent the rest', { timeout: 30_000 }, async () => {
    const session = await startSession(env.server, { targetUrl: env.upstream.url, toxics: { http: { slowReadKBps: 64 } } });
    const firstByte = env.upstream.firstUploadByte();
    let restSentAt = 0;
    const res = await timedRequest(session.proxyUrl, '/upload', {
      method: 'POST',
      body: (req: http.ClientRequest) => {
        req.setHeader('content-length', SIZE);
        req.setHeader('content-type', 'application/octet-stream');
        req.write(Buffer.alloc(64 * 1024, 1));
        void firstByte.then(() => {
          restSentAt = performance.now();
          req.end(Buffer.alloc(SIZE - 64 * 1024, 2));
        });
      },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ bytes: SIZE });
    const upload = env.upstream.uploads.at(-1)!;
    expect(upload.firstByteAt).toBeLessThanOrEqual(restSentAt);
    const took = upload.lastByteAt - res.startedAt;
    expect(took).toBeGreaterThanOrEqual(LOW);
    expect(took).toBeLessThanOrEqual(HIGH);
    const [entry] = await entriesOf(env.server, session.id, 1);
    expect(entry!.injected).toEqual({ kind: 'slowRead', slowReadKBps: 64 });
    expect(entry!.request.body).toMatchObject({ size: SIZE });
  });
});
