/** `traffic-recorder recorder configs ...` and `recorder start --config-id` as a real child process against a real server. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/child.js';
import { curl } from '../test-support/curl.js';
import { serverWithUpstream, TEST_TOKEN } from '../test-support/server.js';
import { pickConfigId } from './config-commands.js';

const shared = serverWithUpstream();

const cli = (args: string[]) => runCli(['recorder', '--server', shared.server.base, ...args], { TRAFFIC_RECORDER_TOKEN: TEST_TOKEN });
const file = (name: string) => path.join(shared.server.headless.dataDir, name);

describe('traffic-recorder recorder configs', () => {
  it('save, list, export, delete and import a file, then start a session from it', async () => {
    await fs.writeFile(file('local.json'), JSON.stringify({ targetUrl: shared.upstream.url, filters: { includePaths: ['/json'] } }));
    const saved = await cli(['configs', 'save', file('local.json'), '--name', 'Local', '--json']);
    expect(saved.code, saved.stderr).toBe(0);
    const { config } = JSON.parse(saved.stdout);
    expect(config).toMatchObject({ name: 'Local', config: { targetUrl: shared.upstream.url } });

    const table = await cli(['configs', 'list']);
    expect(table.stdout).toContain(config.id);
    expect(table.stdout).toMatch(/Local .*reverse/);
    expect(table.stdout).toMatch(/1 of at most 10/);

    // By name and by id prefix as well as by id.
    const exported = await cli(['configs', 'export', 'Local']);
    expect(JSON.parse(exported.stdout)).toEqual({ name: 'Local', targetUrl: shared.upstream.url, filters: { includePaths: ['/json'] } });
    expect((await cli(['configs', 'export', config.id.slice(0, 8), '--out', file('out.json')])).code).toBe(0);
    expect(await fs.readFile(file('out.json'), 'utf8')).toBe(exported.stdout);

    expect((await cli(['configs', 'delete', config.id])).stdout).toBe(`Deleted config ${config.id}.\n`);
    expect((await cli(['configs', 'list'])).stdout).toMatch(/^No saved configs \(at most 10\)/);
    const imported = await cli(['configs', 'import', file('out.json')]);
    expect(imported.stdout).toMatch(/^Imported config \S+ "Local"\./);

    const started = await cli(['start', '--config-id', 'Local', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const { session } = JSON.parse(started.stdout);
    expect(session).toMatchObject({ name: 'Local', targetUrl: shared.upstream.url, filters: { includePaths: ['/json'] }, status: 'running' });
    expect((await curl([`${session.proxyUrl}/json`])).status).toBe(200);
    await expect.poll(async () => (await shared.server.call('GET', `/${session.id}/entries`)).json.total).toBe(1);
    // Flags still override what the saved config says.
    const renamed = JSON.parse((await cli(['start', '--config-id', 'Local', '--name', 'other', '--json'])).stdout).session;
    expect(renamed.name).toBe('other');
    for (const s of [session, renamed]) await cli(['stop', s.id]);
    // Eleven CLI processes in a row: each starts Node and tsx, seconds apiece on a loaded machine.
  }, 120_000);

  it('fails with one line naming the file, the field or the config', async () => {
    await fs.writeFile(file('nameless.json'), JSON.stringify({ mode: 'forward' }));
    const nameless = await cli(['configs', 'save', file('nameless.json')]);
    expect([nameless.code, nameless.stderr]).toEqual([1, `traffic-recorder: ${file('nameless.json')} has no "name": give one with --name\n`]);

    await fs.writeFile(file('bad.json'), JSON.stringify({ name: 'bad', mode: 'forward', toxics: { http: { delayMs: -1 } } }));
    const bad = await cli(['configs', 'import', file('bad.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`^traffic-recorder: ${file('bad.json')}: toxics\\.http\\.delayMs: `));

    await fs.writeFile(file('broken.json'), '{ nope');
    expect((await cli(['configs', 'import', file('broken.json')])).stderr).toMatch(/broken\.json: .*JSON/);

    const missing = await cli(['configs', 'delete', 'no-such-config']);
    expect([missing.code, missing.stderr]).toEqual([1, 'traffic-recorder: config no-such-config not found: no saved config has that id, id prefix or name (see `recorder configs list`)\n']);
    expect((await cli(['start', '--config-id', 'no-such-config'])).stderr).toMatch(/config no-such-config not found/);
    expect((await cli(['start', '--config-id', 'x', '--config', file('bad.json')])).stderr).toBe('traffic-recorder: give --config or --config-id, not both\n');
  });
});

describe('pickConfigId', () => {
  const configs = [
    { id: 'ab12-one', name: 'Same' },
    { id: 'ab34-two', name: 'Same' },
    { id: 'cd56-three', name: 'Other' },
  ];
  it('takes an exact id, a unique prefix or a unique name, and never guesses', () => {
    expect(pickConfigId(configs, 'ab34-two')).toBe('ab34-two');
    expect(pickConfigId(configs, 'cd')).toBe('cd56-three');
    expect(pickConfigId(configs, 'Other')).toBe('cd56-three');
    expect(() => pickConfigId(configs, 'ab')).toThrow(/"ab" is ambiguous: it matches ab12-one \("Same"\), ab34-two \("Same"\)/);
    expect(() => pickConfigId(configs, 'Same')).toThrow(/ambiguous/);
    expect(() => pickConfigId(configs, ' ')).toThrow(/empty/);
  });
});
