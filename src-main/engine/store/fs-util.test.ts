import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unlinkIfPresent, writeFileUnsynced } from './fs-util.js';

describe('writeFileUnsynced / unlinkIfPresent', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-fsutil-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes one buffer or many chunks (empty ones skipped) whole, owner-only, replacing what was there', async () => {
    const file = path.join(dir, 'body');
    await writeFileUnsynced(file, Buffer.from('old content that is longer than the new one'));
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const chunks = [Buffer.alloc(0), Buffer.alloc(300_000, 1), Buffer.from('middle'), Buffer.alloc(0), Buffer.alloc(70_000, 2)];
    await writeFileUnsynced(file, chunks);
    expect((await fs.readFile(file)).equals(Buffer.concat(chunks))).toBe(true);
    await writeFileUnsynced(file, Buffer.from('single'));
    expect(await fs.readFile(file, 'utf8')).toBe('single');
    await writeFileUnsynced(file, []);
    expect((await fs.stat(file)).size).toBe(0);
  });

  it('rejects with the error when the file cannot be created', async () => {
    await expect(writeFileUnsynced(path.join(dir, 'missing', 'body'), Buffer.from('x'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('removes a file, accepts one already gone, and reports other failures', async () => {
    const file = path.join(dir, 'gone');
    await fs.writeFile(file, 'x');
    await unlinkIfPresent(file);
    await expect(fs.stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    await unlinkIfPresent(file);
    await expect(unlinkIfPresent(dir)).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|EPERM/) });
  });
});
