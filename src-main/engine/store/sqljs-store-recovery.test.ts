import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqlJsStore } from './sqljs-store.js';
import { makeEntry, makeSession } from './test-support/fixtures.js';

let dir: string;
let warnings: string[];
let open: SqlJsStore[];

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'recorder-store-recovery-'));
  warnings = [];
  open = [];
});

afterEach(async () => {
  for (const store of open) await store.close().catch(() => undefined);
  await fsp.rm(dir, { recursive: true, force: true });
});

async function openStore(): Promise<SqlJsStore> {
  const store = await SqlJsStore.open({ dataDir: dir, onWarning: (message) => warnings.push(message) });
  open.push(store);
  return store;
}

/** Writes through a store and leaves it without close(), so only its journal is on disk (as after a crash). */
async function writeAndCrash(write: (store: SqlJsStore) => void): Promise<void> {
  const store = await SqlJsStore.open({ dataDir: dir, onWarning: (message) => warnings.push(message) });
  write(store);
  await store.flush();
}

async function journalFiles(): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((name) => name.startsWith('journal-')).map((name) => path.join(dir, name));
}

async function onlyJournal(): Promise<string> {
  const files = await journalFiles();
  expect(files).toHaveLength(1);
  return files[0] as string;
}

function ids(store: SqlJsStore, sessionId = 's1'): string[] {
  return store.listEntries(sessionId, 0, 1000).entries.map((e) => e.id);
}

describe('SqlJsStore recovery', () => {
  it('ignores a torn last journal line, with a warning', async () => {
    await writeAndCrash((store) => {
      store.upsertSession(makeSession('s1'));
      store.insertEntry(makeEntry('s1', 'e1'), { request: Buffer.from('one') });
      store.insertEntry(makeEntry('s1', 'e2'), {});
    });
    const journal = await onlyJournal();
    const full = JSON.stringify({ op: 'insertEntry', seq: 99, entry: makeEntry('s1', 'e3') });
    await fsp.appendFile(journal, full.slice(0, full.length / 2));

    const store = await openStore();
    expect(ids(store)).toEqual(['e1', 'e2']);
    expect(store.readBody('s1', 'e1', 'request')).toEqual(Buffer.from('one'));
    expect(warnings.some((w) => w.includes('torn last line') && w.includes(journal))).toBe(true);
    // The store keeps working and the next open is clean.
    store.insertEntry(makeEntry('s1', 'e4'), {});
    await store.close();
    warnings = [];
    expect(ids(await openStore())).toEqual(['e1', 'e2', 'e4']);
    expect(warnings).toEqual([]);
  });

  it('skips a corrupt line in the middle of the journal and keeps the rest', async () => {
    await writeAndCrash((store) => {
      store.upsertSession(makeSession('s1'));
      for (const id of ['e1', 'e2', 'e3']) store.insertEntry(makeEntry('s1', id), {});
      store.updateEntry('s1', 'e3', { notes: 'kept' });
    });
    const journal = await onlyJournal();
    const lines = (await fsp.readFile(journal, 'utf8')).split('\n');
    expect(lines[2]).toContain('"id":"e2"');
    lines[2] = `${lines[2]?.slice(0, 40)}\u0000garbage`;
    lines.splice(3, 0, '{"op":"somethingElse"}');
    await fsp.writeFile(journal, lines.join('\n'));

    const store = await openStore();
    expect(ids(store)).toEqual(['e1', 'e3']);
    expect(store.getEntry('s1', 'e3')?.notes).toBe('kept');
    expect(warnings.some((w) => w.includes('corrupt line 3'))).toBe(true);
    expect(warnings.some((w) => w.includes('unrecognised record on line 4'))).toBe(true);
  });

  it('moves a database that is not SQLite aside, keeps its bytes, and starts empty', async () => {
    const store = await openStore();
    store.upsertSession(makeSession('s1'));
    await store.close();
    const garbage = Buffer.from('this is definitely not an SQLite database\n'.repeat(100));
    await fsp.writeFile(path.join(dir, 'recorder.db'), garbage);

    const again = await openStore();
    expect(again.listSessions()).toEqual([]);
    const aside = (await fsp.readdir(dir)).filter((name) => name.startsWith('recorder.db.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(aside[0]).toMatch(/^recorder\.db\.corrupt-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z$/);
    const asidePath = path.join(dir, aside[0] as string);
    expect(await fsp.readFile(asidePath)).toEqual(garbage);
    const warning = warnings.find((w) => w.includes(asidePath));
    expect(warning).toContain(path.join(dir, 'recorder.db'));

    // Still a working store; the aside file survives later snapshots untouched.
    again.upsertSession(makeSession('s2'));
    await again.close();
    expect(await fsp.readFile(asidePath)).toEqual(garbage);
    expect((await openStore()).listSessions().map((s) => s.id)).toEqual(['s2']);
  });

  it('moves aside a database with a valid header but damaged pages, and still replays the journal', async () => {
    const store = await openStore();
    store.upsertSession(makeSession('s1'));
    store.insertEntry(makeEntry('s1', 'before-snapshot'), {});
    await store.close();
    await writeAndCrash((s) => {
      s.insertEntry(makeEntry('s1', 'in-journal'), {});
    });
    const dbPath = path.join(dir, 'recorder.db');
    const original = await fsp.readFile(dbPath);
    const damaged = Buffer.from(original);
    // Keep the 100-byte header, wipe the rest of page 1 (the schema) and scribble over everything after.
    damaged.fill(0xa5, 100);
    await fsp.writeFile(dbPath, damaged);

    const again = await openStore();
    expect(warnings.some((w) => w.includes('unreadable') && w.includes(dbPath))).toBe(true);
    expect(ids(again)).toEqual(['in-journal']);
    const aside = (await fsp.readdir(dir)).find((name) => name.startsWith('recorder.db.corrupt-'));
    expect(await fsp.readFile(path.join(dir, aside as string))).toEqual(damaged);
  });

  it('does not overwrite an earlier aside file', async () => {
    const first = Buffer.from('first broken database'.repeat(40));
    const second = Buffer.from('second broken database'.repeat(40));
    await fsp.writeFile(path.join(dir, 'recorder.db'), first);
    await (await openStore()).close();
    await fsp.writeFile(path.join(dir, 'recorder.db'), second);
    await (await openStore()).close();
    const asides = (await fsp.readdir(dir)).filter((name) => name.startsWith('recorder.db.corrupt-'));
    const contents = await Promise.all(asides.map((name) => fsp.readFile(path.join(dir, name), 'utf8')));
    expect(contents.sort()).toEqual([first.toString(), second.toString()]);
  });

  it('removes body files left behind by a crash', async () => {
    await fsp.mkdir(path.join(dir, 'bodies', 's1'), { recursive: true });
    await fsp.writeFile(path.join(dir, 'bodies', 's1', 'orphan.response'), 'x');
    await writeAndCrash((store) => {
      store.insertEntry(makeEntry('s1', 'kept'), { response: Buffer.alloc(20_000, 1) });
    });
    const store = await openStore();
    expect(await fsp.readdir(path.join(dir, 'bodies', 's1'))).toEqual(['kept.response']);
    expect(store.readBody('s1', 'kept', 'response')?.length).toBe(20_000);
  });

  it('ignores journals a snapshot already covers and a stale snapshot temp file', async () => {
    await writeAndCrash((store) => {
      store.insertEntry(makeEntry('s1', 'e1'), {});
    });
    const store = await openStore();
    await store.close();
    // A crash between the snapshot's rename and the deletion of the journals it covers leaves both behind.
    await fsp.writeFile(path.join(dir, 'journal-0000000000.jsonl'), `${JSON.stringify({ op: 'deleteSession', sessionId: 's1' })}\n`);
    await fsp.writeFile(path.join(dir, 'recorder.db.tmp'), 'half a snapshot');
    const again = await openStore();
    expect(ids(again)).toEqual(['e1']);
    expect((await fsp.readdir(dir)).sort()).toEqual(['bodies', 'recorder.db']);
  });
});
