/**
 * Secrets at rest and on the command line (issue 8, point 27), through real `serve` children: an existing data
 * directory is tightened to 0700, and the token can come from a file or the environment instead of `--token`,
 * which every user of the machine can read in `ps`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnServe, type ServeProcess } from '../test-support/child.js';
import { tempDir } from '../test-support/engine.js';

const running: ServeProcess[] = [];
const dirs: string[] = [];
/** The test's own environment may carry a token; every case here says where its token comes from. */
const NO_ENV_TOKEN = { TRAFFIC_RECORDER_TOKEN: undefined, TRAFFIC_RECORDER_LOOPBACK_ONLY: '1' };

async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = await spawnServe(args, { ...NO_ENV_TOKEN, ...env });
  running.push(child);
  return child;
}

async function freshDir(): Promise<string> {
  const dir = await tempDir('tr-token-');
  dirs.push(dir);
  return dir;
}

async function status(server: ServeProcess, token: string): Promise<number> {
  return (await fetch(`${server.url}/api/v1/recorder/sessions`, { headers: { authorization: `Bearer ${token}` } })).status;
}

async function commandLine(pid: number): Promise<string> {
  return (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
}

afterEach(async () => {
  for (const child of running.splice(0)) if (child.child.exitCode === null && child.child.signalCode === null) await child.stop();
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
});

describe('the data directory', () => {
  it('an existing directory open to others is tightened to 0700, its token file to 0600', async () => {
    const dataDir = path.join(await freshDir(), 'data');
    await fs.mkdir(dataDir, { mode: 0o755 });
    await fs.chmod(dataDir, 0o755);
    await fs.writeFile(path.join(dataDir, 'api-token'), 'stored-token-0123456789\n', { mode: 0o644 });
    await fs.chmod(path.join(dataDir, 'api-token'), 0o644);
    const server = await serve(['--data-dir', dataDir]);
    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(dataDir, 'api-token'))).mode & 0o777).toBe(0o600);
    expect(await status(server, 'stored-token-0123456789')).toBe(200);
  }, 60_000);

  it('a shared sticky directory is left alone, with a warning', async () => {
    const dataDir = path.join(await freshDir(), 'shared');
    await fs.mkdir(dataDir);
    await fs.chmod(dataDir, 0o1777);
    const server = await serve(['--data-dir', dataDir]);
    expect((await fs.stat(dataDir)).mode & 0o7777).toBe(0o1777);
    expect(server.output()).toMatch(/is open to other users \(mode 777\)/);
  }, 60_000);
});

describe('where the token comes from', () => {
  it('--token-file: the token works and never appears on the command line', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'token');
    await fs.writeFile(path.join(dir, 'token'), 'file-token-0123456789\n', { mode: 0o600 });
    const server = await serve(['--data-dir', path.join(dir, 'data'), '--token-file', file]);
    expect(await status(server, 'file-token-0123456789')).toBe(200);
    expect(await status(server, 'something-else')).toBe(401);
    expect(await commandLine(server.child.pid!)).not.toContain('file-token-0123456789');
    expect(server.output()).not.toMatch(/readable by other users/);
    // The CLI client reads the same file.
    const list = await runCli(['recorder', '--server', server.url, '--token-file', file, '--json', 'list'], NO_ENV_TOKEN);
    expect(list.stderr).toBe('');
    expect(JSON.parse(list.stdout)).toMatchObject({ total: 0 });
  }, 60_000);

  it('TRAFFIC_RECORDER_TOKEN: serve honours it, and it is not on the command line either', async () => {
    const dir = await freshDir();
    const server = await serve(['--data-dir', path.join(dir, 'data')], { TRAFFIC_RECORDER_TOKEN: 'env-token-0123456789' });
    expect(await status(server, 'env-token-0123456789')).toBe(200);
    expect(await commandLine(server.child.pid!)).not.toContain('env-token-0123456789');
  }, 60_000);

  it('--token still works, with a warning that ps shows it', async () => {
    const dir = await freshDir();
    const server = await serve(['--data-dir', path.join(dir, 'data'), '--token', 'flag-token-0123456789']);
    expect(await status(server, 'flag-token-0123456789')).toBe(200);
    expect(server.output()).toMatch(/--token is visible to every user of this machine \(ps\); prefer --token-file/);
  }, 60_000);

  it('bad token sources are clear errors', async () => {
    const dir = await freshDir();
    const empty = path.join(dir, 'empty');
    await fs.writeFile(empty, '\n', { mode: 0o600 });
    const open = path.join(dir, 'open');
    await fs.writeFile(open, 'open-token-0123456789\n');
    await fs.chmod(open, 0o644);
    const data = ['--data-dir', path.join(dir, 'data')];
    await expect(serve([...data, '--token-file', empty])).rejects.toThrow(/--token-file .*empty: the API token is empty/);
    await expect(serve([...data, '--token-file', path.join(dir, 'missing')])).rejects.toThrow(/--token-file .*missing: ENOENT/);
    await expect(serve([...data, '--token', 'a', '--token-file', empty])).rejects.toThrow(/give --token or --token-file, not both/);
    await expect(serve([...data, '--token', 'has space'])).rejects.toThrow(/only printable ASCII without spaces/);
    const warned = await serve([...data, '--token-file', open]);
    expect(warned.output()).toMatch(/is readable by other users; chmod 600 it/);
  }, 60_000);
});
