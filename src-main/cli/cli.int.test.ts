/** The `traffic-recorder` CLI as a real child process against a real server. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/child.js';
import { curl } from '../test-support/curl.js';
import { serverWithUpstream, TEST_TOKEN } from '../test-support/server.js';

const shared = serverWithUpstream();

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(['recorder', '--server', shared.server.base, ...args], { TRAFFIC_RECORDER_TOKEN: TEST_TOKEN, ...env });

describe('traffic-recorder recorder', () => {
  it('start, list, entries and stop, as tables and as JSON', async () => {
    const started = await cli(['start', '--target', shared.upstream.url, '--name', 'cli session', '--session-namespace', 'team-a', '--json']);
    expect(started.code).toBe(0);
    const { session } = JSON.parse(started.stdout);
    expect(session).toMatchObject({ name: 'cli session', namespace: 'team-a', mode: 'reverse', status: 'running' });

    await curl([`${session.proxyUrl}/json?from=cli`]);
    await new Promise((r) => setTimeout(r, 150));

    const table = await cli(['list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('cli session');
    expect(table.stdout).toContain(session.id);
    expect(table.stdout.includes('\u001b[')).toBe(false); // no colour codes when piped

    const entries = await cli(['entries', session.id]);
    expect(entries.stdout).toMatch(/GET .*\/json\?from=cli .* 200/);
    const entriesJson = JSON.parse((await cli(['entries', session.id, '--json'])).stdout);
    expect(entriesJson.total).toBe(1);
    expect(entriesJson.entries[0].response.body.text).toContain('"ok":true');

    const stopped = await cli(['stop', session.id]);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('is stopped');
  });

  it('takes the token from --token and fails with one line and a non-zero exit', async () => {
    const viaFlag = await runCli(['recorder', '--server', shared.server.base, '--token', TEST_TOKEN, 'list', '--json'], { TRAFFIC_RECORDER_TOKEN: '' });
    expect(viaFlag.code).toBe(0);
    expect(JSON.parse(viaFlag.stdout)).toHaveProperty('sessions');

    const noToken = await runCli(['recorder', '--server', shared.server.base, 'list'], { TRAFFIC_RECORDER_TOKEN: '' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr.trim().split('\n')).toHaveLength(1);
    expect(noToken.stderr).toMatch(/token/);

    const noTarget = await cli(['start']);
    expect(noTarget.code).toBe(1);
    expect(noTarget.stderr).toMatch(/^traffic-recorder: --target URL is required/);

    const badPort = await cli(['start', '--target', shared.upstream.url, '--port', 'eighty']);
    expect(badPort.code).not.toBe(0);
    expect(badPort.stderr).toMatch(/--port must be an integer/);

    const unknown = await cli(['stop', 'no-such-session']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/session no-such-session not found/);

    const net = await import('node:net');
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const down = await runCli(['recorder', '--server', `http://127.0.0.1:${closedPort}`, '--token', 'x', 'list']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach .*ECONNREFUSED/);
  });

  it('reads a full session config from --config', async () => {
    const fs = await import('node:fs/promises');
    const file = `${shared.server.headless.dataDir}/config.json`;
    await fs.writeFile(file, JSON.stringify({ name: 'from file', targetUrl: shared.upstream.url, filters: { includePaths: ['/json'] } }));
    const started = await cli(['start', '--config', file, '--json']);
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout).session).toMatchObject({ name: 'from file', filters: { includePaths: ['/json'] } });
    await fs.writeFile(file, '{ nope');
    const broken = await cli(['start', '--config', file]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/--config .*config\.json: /);
  });
});

describe('traffic-recorder ca', () => {
  const ca = (args: string[]) => runCli(['ca', '--server', shared.server.base, ...args], { TRAFFIC_RECORDER_TOKEN: TEST_TOKEN });

  it('status, generate, download and a dry-run install', async () => {
    const fs = await import('node:fs/promises');
    const before = await ca(['status', '--json']);
    expect(JSON.parse(before.stdout).ca.exists).toBe(false);
    const generated = await ca(['generate']);
    expect(generated.code).toBe(0);
    expect(generated.stdout).toMatch(/^Created: CA ".*" valid until/);
    expect((await ca(['generate'])).stdout).toMatch(/^Already there/);
    const file = `${shared.server.headless.dataDir}/downloaded-ca.pem`;
    expect((await ca(['download', '--out', file])).code).toBe(0);
    expect(await fs.readFile(file, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const plan = await ca(['install', '--dry-run', '--scope', 'user', '--nss-db', '/tmp/no-such-nssdb']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/would run|skipped|Nothing to do/);
    const badScope = await ca(['install', '--scope', 'planet']);
    expect(badScope.code).not.toBe(0);
    expect(badScope.stderr).toMatch(/planet/);
  });
});
