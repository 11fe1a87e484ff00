import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInput } from '../../../src-shared/schemas.js';
import { mockSchema, type MockInput } from '../../../src-shared/mocks.js';
import { tempDir } from '../../test-support/engine.js';
import { MOCKS_FILE } from './mock-file.js';
import { MockStore } from './mock-store.js';

const mock = (id: string, extra: Partial<MockInput> = {}): MockInput =>
  parseInput(mockSchema, { id, http: { route: `/${id}` }, response: { payload: id }, ...extra });

describe('MockStore', () => {
  it('refuses a save past its bounds, whole, and counts overwrites as no new mock', async () => {
    const store = new MockStore({ limits: { mocks: 3, bytes: 10_000 } });
    await store.save([mock('a'), mock('b'), mock('c')]);
    await expect(store.save([mock('d')])).rejects.toMatchObject({ code: 'limit_reached', message: expect.stringMatching(/at most 3 mocks/) });
    // Overwriting keeps the count; a batch that would go past the bound saves none of its mocks.
    await expect(store.save([mock('a', { priority: 1 })])).resolves.toMatchObject([{ overwritten: true }]);
    await expect(store.save([mock('b', { priority: 2 }), mock('e')])).rejects.toMatchObject({ code: 'limit_reached' });
    expect(store.get('b')?.priority).toBeUndefined();
    const big = mock('a', { response: { payload: 'x'.repeat(20_000) } });
    await expect(store.save([big])).rejects.toMatchObject({ code: 'limit_reached', message: expect.stringMatching(/at most 10000 bytes/) });
    expect(store.list({ offset: 0, limit: 10 }).items.map((m) => m.id)).toEqual(['a', 'b', 'c']);
  });

  it('orders the snapshot by priority, then age, with only servable http mocks of the namespace', async () => {
    const store = new MockStore();
    await store.save([
      mock('old-low'),
      mock('grpc', { http: undefined, grpc: { service: 's' } }),
      mock('proxy', { response: undefined, proxy: { target: 'http://x' } }),
      mock('high', { priority: 9 }),
      mock('other-ns', { namespace: 'elsewhere', priority: 100 }),
      mock('new-low'),
      mock('negative', { priority: -1 }),
    ]);
    // Overwriting keeps a mock's age.
    await store.save([mock('old-low', { tags: ['again'] })]);
    expect(store.snapshot('default').map((l) => l.mock.id)).toEqual(['high', 'old-low', 'new-low', 'negative']);
    expect(store.snapshot('elsewhere').map((l) => l.mock.id)).toEqual(['other-ns']);
  });

  it('drops a mock whose ttl has passed, and gives the snapshot its expiry', async () => {
    let now = 1_000;
    const store = new MockStore({ now: () => now });
    await store.save([mock('short', { ttl: 500 }), mock('forever', { ttl: 0 })]);
    expect(store.snapshot('default')).toEqual([{ mock: expect.objectContaining({ id: 'short' }), expiresAt: 1_500 }, { mock: expect.objectContaining({ id: 'forever' }) }]);
    now = 1_500;
    expect(store.get('short')).toBeUndefined();
    expect(store.list({ offset: 0, limit: 10 }).total).toBe(1);
  });

  it('answers a change once its listeners have it', async () => {
    const store = new MockStore();
    const heard: string[][] = [];
    let release: () => void = () => undefined;
    store.onChange(async (namespaces) => {
      heard.push([...namespaces].sort());
      await new Promise<void>((resolve) => (release = resolve));
    });
    let answered = false;
    const saving = store.save([mock('a', { namespace: 'one' })]).then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false);
    release();
    await saving;
    // Moving a mock to another namespace tells both.
    const moving = store.save([mock('a', { namespace: 'two' })]);
    await new Promise((r) => setTimeout(r, 0));
    release();
    await moving;
    expect(heard).toEqual([['one'], ['one', 'two']]);
  });

  it('says when a change is in effect but could not be saved, and saves it with the next write', async () => {
    const dir = await tempDir('tr-mockstore-');
    const store = new MockStore({ dir });
    await store.save([mock('first')]);
    // The directory becomes a file: every write fails (root ignores permissions, not this).
    await fs.rm(dir, { recursive: true });
    await fs.writeFile(dir, 'not a directory');
    await expect(store.save([mock('second')])).rejects.toMatchObject({ code: 'storage_failed', message: expect.stringMatching(/in effect but not saved/) });
    expect(store.get('second')).toBeDefined();
    await fs.rm(dir);
    await fs.mkdir(dir);
    await store.save([mock('third')]);
    const saved = JSON.parse(await fs.readFile(path.join(dir, MOCKS_FILE), 'utf8')) as { mocks: Array<{ mock: { id: string } }> };
    expect(saved.mocks.map((r) => r.mock.id)).toEqual(['first', 'second', 'third']);
    await fs.rm(dir, { recursive: true, force: true });
  });
});

describe('MockStore at open', () => {
  it('says on its warning channel which file it set aside and why', async () => {
    const dir = await tempDir('tr-mockstore-open-');
    await fs.writeFile(path.join(dir, MOCKS_FILE), JSON.stringify({ version: 2, mocks: [] }));
    const warnings: string[] = [];
    const store = new MockStore({ dir, warn: (m) => warnings.push(m) });
    expect(store.setAside?.problem).toMatch(/^version: /);
    expect(warnings).toEqual([expect.stringContaining(store.setAside!.file)]);
    expect(await fs.readFile(store.setAside!.file, 'utf8')).toBe('{"version":2,"mocks":[]}');
    await fs.rm(dir, { recursive: true, force: true });
  });
});
