/**
 * The HAR writer against a real engine and upstream: recorded traffic (JSON, gzip, binary, a form post, an
 * upstream that is down, secrets in headers) becomes a file har-validator accepts, with Chrome's numbers, decoded
 * bodies, base64 for binary, redaction by default and the refusals before any byte.
 */
import type { Har } from 'har-format';
import { describe, expect, it } from 'vitest';
import { engineWithUpstream, waitForEntries } from '../../test-support/engine.js';
import { closedPort } from '../../test-support/upstream.js';
import { harProblems } from './har-test-support.js';
import { harChunks, harText, openHarExport } from './har-writer.js';

const env = engineWithUpstream();

async function recordSome(): Promise<{ id: string; ids: string[] }> {
  const { engine, upstream } = env;
  const { session } = await engine.recorder.startSession({ name: 'har writer', targetUrl: upstream.url });
  const p = session.proxyUrl;
  await (await fetch(`${p}/json?a=1&b=two`, { headers: { authorization: 'Bearer secret-token-123456', cookie: 'sid=cookie-value-987654; theme=dark' } })).arrayBuffer();
  await (await fetch(`${p}/gzip`)).arrayBuffer();
  await (await fetch(`${p}/bytes?size=64`)).arrayBuffer();
  await (await fetch(`${p}/echo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=ann&password=hunter2-long' })).arrayBuffer();
  const entries = await waitForEntries(engine.recorder, session.id, 4);
  return { id: session.id, ids: entries.map((e) => e.id) };
}

describe('HAR writer', () => {
  it('writes a valid HAR 1.2 file with every number Chrome needs, decoded bodies and secrets redacted', async () => {
    const { id } = await recordSome();
    const text = await harText(env.engine.recorder, id);
    const har = JSON.parse(text) as Har;
    expect(await harProblems(har)).toEqual([]);
    expect(har.log.entries).toHaveLength(4);
    for (const e of har.log.entries) {
      for (const n of [e.time, e.request.headersSize, e.request.bodySize, e.response.status, e.response.headersSize, e.response.bodySize, e.response.content.size, e.timings.send, e.timings.wait, e.timings.receive]) {
        expect(typeof n).toBe('number');
      }
      expect(e.timings.send).toBeGreaterThanOrEqual(0);
      const { dns = -1, connect = -1, ssl = -1, send, wait, receive } = e.timings;
      const phases = [dns, connect, send, wait, receive].map((x) => x ?? -1);
      if (ssl !== -1) expect(connect).toBeGreaterThanOrEqual(ssl);
      const sum = phases.filter((x) => x !== -1).reduce((a, b) => a + b, 0);
      expect(e.time).toBeCloseTo(sum, 2);
      expect(Number.isNaN(Date.parse(e.startedDateTime))).toBe(false);
    }
    const [json, gzip, bytes, form] = har.log.entries;
    expect(json!.request.queryString).toEqual([{ name: 'a', value: '1' }, { name: 'b', value: 'two' }]);
    expect(JSON.parse(json!.response.content.text!)).toMatchObject({ ok: true });
    expect((json as unknown as { _resourceType: string })._resourceType).toBe('fetch');
    expect(JSON.parse(gzip!.response.content.text!)).toEqual({ encoded: 'gzip', path: '/gzip' });
    expect(gzip!.response.content.encoding).toBeUndefined();
    expect(bytes!.response.content.encoding).toBe('base64');
    expect(Buffer.from(bytes!.response.content.text!, 'base64')).toEqual(Buffer.alloc(64, 120));
    expect(form!.request.postData?.params).toEqual([{ name: 'user', value: 'ann' }, { name: 'password', value: '{{password}}' }]);
    // Redacted by default: no secret anywhere in the file.
    for (const secret of ['secret-token-123456', 'cookie-value-987654', 'hunter2-long']) expect(text).not.toContain(secret);
    expect(json!.request.headers.find((h) => h.name === 'authorization')?.value).toBe('{{authorization}}');
    expect(json!.request.cookies).toContainEqual({ name: 'sid', value: '{{cookie_sid}}' });
    // Unless asked to keep them.
    const kept = await harText(env.engine.recorder, id, { redaction: { keepSecrets: true } });
    for (const secret of ['secret-token-123456', 'cookie-value-987654', 'hunter2-long']) expect(kept).toContain(secret);
  });

  it('exports only the entries asked for, in the session order', async () => {
    const { id, ids } = await recordSome();
    const har = JSON.parse(await harText(env.engine.recorder, id, { entryIds: [ids[2]!, ids[0]!] })) as Har;
    expect(har.log.entries.map((e) => new URL(e.request.url).pathname)).toEqual(['/json', '/bytes']);
  });

  it('writes an entry whose upstream was down as status 0 with _error', async () => {
    const { engine } = env;
    const { session } = await engine.recorder.startSession({ name: 'down', targetUrl: `http://127.0.0.1:${await closedPort()}` });
    await (await fetch(`${session.proxyUrl}/nothing`)).arrayBuffer();
    await waitForEntries(engine.recorder, session.id, 1);
    const har = JSON.parse(await harText(engine.recorder, session.id)) as Har;
    expect(await harProblems(har)).toEqual([]);
    const e = har.log.entries[0]! as unknown as { _error?: { code: string }; response: { status: number } };
    expect(e._error?.code).toBeTruthy();
    // The proxy answered the client 502 itself: a response, and the error beside it.
    expect([0, 502]).toContain(e.response.status);
  });

  it('refuses an unknown session and entry ids not in the session before writing anything', async () => {
    const { id, ids } = await recordSome();
    await expect(openHarExport(env.engine.recorder, 'no-such-session')).rejects.toMatchObject({ code: 'not_found' });
    await expect(openHarExport(env.engine.recorder, id, { entryIds: [ids[0]!, 'not-here'] })).rejects.toMatchObject({ code: 'bad_request', field: 'entryIds.1' });
    const it = harChunks(env.engine.recorder, id, { entryIds: ['not-here'] })[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ code: 'bad_request', field: 'entryIds.0' });
  });
});
