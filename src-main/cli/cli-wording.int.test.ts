/** Issue 16: the CLI's words for a new user (flags named, where a file went) and git-style id prefixes. */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../test-support/child.js';
import { tempDir } from '../test-support/engine.js';
import { serverWithUpstream, TEST_TOKEN } from '../test-support/server.js';

const shared = serverWithUpstream();

const env = { TRAFFIC_RECORDER_TOKEN: TEST_TOKEN };
const cli = (args: string[]) => runCli(['recorder', '--server', shared.server.base, ...args], env);
const startForward = async (name: string): Promise<{ id: string; name: string }> => {
  const started = await cli(['start', '--mode', 'forward', '--name', name, '--json']);
  expect(started.code, started.stderr).toBe(0);
  return JSON.parse(started.stdout).session;
};

describe('recorder start wording', () => {
  it('names the --target flag when a reverse session has no target', async () => {
    const noTarget = await cli(['start']);
    expect(noTarget.code).toBe(1);
    expect(noTarget.stderr).toBe('traffic-recorder: --target URL is required for a reverse-proxy session; use --mode forward for a forward proxy\n');
  });

  it('keeps the mode of a --config file when --mode is not given', async () => {
    const file = path.join(shared.server.headless.dataDir, 'forward.json');
    await fs.writeFile(file, JSON.stringify({ mode: 'forward', name: 'forward from file' }));
    const started = await cli(['start', '--config', file, '--json']);
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout).session).toMatchObject({ mode: 'forward', name: 'forward from file' });
    await fs.writeFile(file, JSON.stringify({ name: 'reverse without target' }));
    const refused = await cli(['start', '--config', file]);
    expect(refused.stderr).toMatch(/^traffic-recorder: --target URL is required for a reverse-proxy session \(or "targetUrl" in .*forward\.json\)/);
  });
});

describe('session id prefixes', () => {
  it('resolve a unique prefix for get, entries, stop, restart and delete', async () => {
    const session = await startForward('prefix me');
    const prefix = session.id.slice(0, 8);
    const got = await cli(['get', prefix, '--json']);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout).session.id).toBe(session.id);
    expect((await cli(['entries', prefix.toUpperCase()])).stdout).toMatch(/No entries \(total 0\)/);
    expect((await cli(['stop', prefix])).stdout).toContain(`Session ${session.id} "prefix me" is stopped.`);
    expect((await cli(['restart', prefix])).stdout).toContain('is running');
    await cli(['stop', prefix]);
    const deleted = await cli(['delete', prefix]);
    expect(deleted.stdout).toBe(`Deleted session ${session.id}.\n`);
  });

  it('say so when a prefix matches nothing', async () => {
    const none = await cli(['get', 'zzzz']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('traffic-recorder: session zzzz not found: no session id starts with "zzzz" (see `recorder list`)\n');
  });

  it('refuse an ambiguous prefix and list the candidates', async () => {
    // Ids are random: by the pigeonhole principle, 17 sessions surely give two with the same first hex digit.
    const byFirst = new Map<string, { id: string; name: string }[]>();
    let pair: { id: string; name: string }[] | undefined;
    for (let i = 0; i < 17 && !pair; i++) {
      const s = await startForward(`ambiguous ${i}`);
      const list = byFirst.get(s.id[0]!) ?? [];
      list.push(s);
      byFirst.set(s.id[0]!, list);
      if (list.length === 2) pair = list;
    }
    expect(pair).toBeDefined();
    const [a, b] = pair!;
    let common = 0;
    while (a!.id[common] === b!.id[common]) common++;
    const prefix = a!.id.slice(0, common);
    const refused = await cli(['stop', prefix]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^traffic-recorder: session id prefix "${prefix}" is ambiguous: it matches `));
    expect(refused.stderr).toContain(`${a!.id} ("${a!.name}")`);
    expect(refused.stderr).toContain(`${b!.id} ("${b!.name}")`);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    // Neither was touched.
    expect((await shared.server.call('GET', `/${a!.id}`)).json.session.status).toBe('running');
    for (const list of byFirst.values()) for (const s of list) await shared.server.call('POST', `/${s.id}/stop`);
  });
});

describe('ca download --out', () => {
  it('says where it wrote the certificate', async () => {
    const dir = await tempDir('tr-ca-out-');
    await runCli(['ca', '--server', shared.server.base, 'generate'], env);
    const file = path.join(dir, 'ca.pem');
    // Given relative to where the command runs (the children run in the package root): reported absolute.
    const written = await runCli(['ca', '--server', shared.server.base, 'download', '--out', path.relative(ROOT, file)], env);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toBe(`Wrote the CA certificate (PEM) to ${file}\n`);
    expect(await fs.readFile(file, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    await fs.rm(file, { force: true });
    const json = await runCli(['ca', '--server', shared.server.base, '--json', 'download', '--out', path.join(dir, 'ca.pem')], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ written: path.join(dir, 'ca.pem') });
    const bad = await runCli(['ca', '--server', shared.server.base, 'download', '--out', path.join(dir, 'no-such-dir', 'ca.pem')], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^traffic-recorder: cannot write the CA certificate to .*no-such-dir\/ca\.pem: ENOENT/);
  });
});

describe('serve on a taken port', () => {
  it('names the port and suggests --port', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    const dataDir = await tempDir('tr-taken-port-');
    try {
      const serve = await runCli(['serve', '--port', String(port), '--data-dir', dataDir, '--token', TEST_TOKEN]);
      expect(serve.code).toBe(1);
      expect(serve.stderr).toContain(
        `traffic-recorder: port ${port} is already in use (127.0.0.1:${port}): another Traffic Recorder or another program listens there; pick another port with --port N (--port 0 = any free port)\n`,
      );
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
