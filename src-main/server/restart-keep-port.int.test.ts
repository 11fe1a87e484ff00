/**
 * `POST /:id/restart` over REST: `{"keepPort": true}` refuses to move a session off its port and names who holds it;
 * without it (and with a body-less POST, as older clients send) the session moves, as before. Messages name
 * sessions by their name, never by their id.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { curl } from '../test-support/curl.js';
import { runCli } from '../test-support/child.js';
import { serverWithUpstream, TEST_TOKEN } from '../test-support/server.js';

const shared = serverWithUpstream();

async function startStopped(name: string): Promise<{ id: string; listenPort: number }> {
  const started = await shared.server.call('POST', '/start', { name, targetUrl: shared.upstream.url });
  expect(started.status).toBe(201);
  const { id, listenPort } = started.json.session;
  expect((await shared.server.call('POST', `/${id}/stop`)).status).toBe(200);
  return { id, listenPort };
}

async function squat(port: number): Promise<net.Server> {
  const squatter = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    squatter.once('error', reject);
    squatter.listen(port, '127.0.0.1', resolve);
  });
  return squatter;
}

describe('restart keepPort', () => {
  it('answers 409 naming the session that took the port, and leaves the session stopped', async () => {
    const first = await startStopped('checkout flow');
    const taker = await shared.server.call('POST', '/start', { name: 'port taker', targetUrl: shared.upstream.url, listenPort: first.listenPort });
    expect(taker.status).toBe(201);

    const refused = await shared.server.call('POST', `/${first.id}/restart`, { keepPort: true });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'conflict', field: 'listenPort' });
    expect(refused.json.error).toBe(`listenPort: port ${first.listenPort} is taken by session "port taker"`);
    expect(refused.json.error).not.toContain(taker.json.session.id);
    expect((await shared.server.call('GET', `/${first.id}`)).json.session).toMatchObject({ status: 'stopped', listenPort: first.listenPort });

    // Once the holder lets go, keepPort gets the old port back.
    expect((await shared.server.call('POST', `/${taker.json.session.id}/stop`)).status).toBe(200);
    const kept = await shared.server.call('POST', `/${first.id}/restart`, { keepPort: true });
    expect(kept.status).toBe(200);
    expect(kept.json.session).toMatchObject({ status: 'running', listenPort: first.listenPort });
    expect((await curl([`${kept.json.session.proxyUrl}/json`])).status).toBe(200);
  });

  it('names another program when a foreign socket holds the port', async () => {
    const session = await startStopped('foreign holder');
    const squatter = await squat(session.listenPort);
    try {
      const refused = await shared.server.call('POST', `/${session.id}/restart`, { keepPort: true });
      expect(refused.status).toBe(409);
      expect(refused.json.error).toBe(`listenPort: port ${session.listenPort} is taken by another program`);

      // Without keepPort (JSON false, and no body at all, as the CLI sends) the session moves, as it always did.
      const moved = await shared.server.call('POST', `/${session.id}/restart`, { keepPort: false });
      expect(moved.status).toBe(200);
      expect(moved.json.session.listenPort).not.toBe(session.listenPort);
      expect((await shared.server.call('POST', `/${session.id}/stop`)).status).toBe(200);
      const bodyless = await curl(['-X', 'POST', `${shared.server.api}/${session.id}/restart`, '-H', `Authorization: Bearer ${TEST_TOKEN}`]);
      expect(bodyless.status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('refuses a bad option and a running session in words, by name', async () => {
    const session = await startStopped('picky');
    const bad = await shared.server.call('POST', `/${session.id}/restart`, { keepPort: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'bad_request', field: 'keepPort' });
    const unknown = await shared.server.call('POST', `/${session.id}/restart`, { port: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatch(/unknown field port/);

    expect((await shared.server.call('POST', `/${session.id}/restart`)).status).toBe(200);
    const again = await shared.server.call('POST', `/${session.id}/restart`, {});
    expect(again.status).toBe(409);
    expect(again.json.error).toMatch(/^session "picky" is already running on port \d+/);
    expect(again.json.error).not.toContain(session.id);
  });
});

describe('restart --keep-port from the CLI', () => {
  it('fails in words instead of moving, and the port check names the holder without its id', async () => {
    const first = await startStopped('cli keeper');
    const squatter = await squat(first.listenPort);
    try {
      const check = await shared.server.call('GET', `/port-check?port=${first.listenPort}`);
      expect(check.json.available).toBe(false);
      const cli = await runCli(['recorder', '--server', shared.server.base, 'restart', first.id.slice(0, 8), '--keep-port'], { TRAFFIC_RECORDER_TOKEN: TEST_TOKEN });
      expect(cli.code).not.toBe(0);
      expect(cli.stderr).toContain(`port ${first.listenPort} is taken`);
      expect((await shared.server.call('GET', `/${first.id}`)).json.session).toMatchObject({ status: 'stopped', listenPort: first.listenPort });
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    const taker = await shared.server.call('POST', '/start', { name: 'holder', targetUrl: shared.upstream.url });
    const held = await shared.server.call('GET', `/port-check?port=${taker.json.session.listenPort}`);
    expect(held.json.reason).toBe('used by session "holder"');
  });
});
