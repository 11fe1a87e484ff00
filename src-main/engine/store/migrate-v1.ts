/**
 * Converts a v1 data dir (recorder.db snapshot + journal-*.jsonl + bodies/, written by SqlJsStore) into the v2
 * store, once. v1 is opened with its own code (which replays its journals: a v1 dir left by a crash migrates with
 * nothing lost), every session and entry is copied with its raw bodies, tags, notes and lost/dropped marks, and only
 * when the v2 store is complete and closed is `store-version` written; the v1 files are then moved aside into
 * `v1-backup-<time>/` (never deleted: the user removes them once satisfied). A crash before `store-version` exists
 * leaves v1 untouched and the next open starts the copy again from scratch.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Entry } from '../../../src-shared/model.js';
import { DIR_MODE, fsyncDir } from './fs-util.js';
import { listJournals } from './journal.js';
import { SqlJsStore } from './sqljs-store.js';
import type { RecorderStore } from './store-types.js';

const PAGE = 200;
/** Flush (and so bound the memory of queued records) this often while copying. */
const FLUSH_EVERY = 2_000;
const V1_FILES = ['recorder.db', 'bodies'];
const V2_PARTS = ['sessions', 'index', 'sessions.json', 'annotations.jsonl'];

export interface MigrationResult {
  sessions: number;
  entries: number;
  backupDir: string;
}

/** Whether `dataDir` holds v1 files; `done` when the v2 store was already written (only the move aside is left). */
export async function v1State(dataDir: string, versionFile: string): Promise<'none' | 'pending' | 'done'> {
  const hasV1 = (await exists(path.join(dataDir, 'recorder.db'))) || (await listJournals(dataDir)).length > 0;
  if (!hasV1) return 'none';
  return (await exists(path.join(dataDir, versionFile))) ? 'done' : 'pending';
}

export async function migrateV1(
  dataDir: string,
  openV2: () => Promise<RecorderStore>,
  markDone: () => Promise<void>,
  say: (message: string) => void,
): Promise<MigrationResult> {
  for (const part of V2_PARTS) await fsp.rm(path.join(dataDir, part), { recursive: true, force: true });
  const v1 = await SqlJsStore.open({ dataDir, onWarning: say });
  let entries = 0;
  const sessions = v1.listSessions();
  const total = sessions.reduce((n, s) => n + v1.countEntries(s.id), 0);
  say(`history store: converting ${total} entr${total === 1 ? 'y' : 'ies'} in ${sessions.length} session(s) from the old format in ${dataDir}`);
  const v2 = await openV2();
  try {
    for (const record of sessions) {
      v2.upsertSession(record);
      for (let offset = 0; ; offset += PAGE) {
        const page = v1.listEntries(record.id, offset, PAGE);
        for (const entry of page.entries) {
          copyEntry(v1, v2, entry);
          if (++entries % FLUSH_EVERY === 0) {
            await v2.flush();
            say(`history store: converted ${entries} of ${total} entries`);
          }
        }
        if (page.entries.length < PAGE) break;
      }
    }
    await v2.flush();
  } finally {
    await v2.close();
    await v1.close().catch(() => undefined);
  }
  await markDone();
  const backupDir = await moveV1Aside(dataDir);
  say(`history store: converted ${entries} entries; the old files are in ${backupDir} (remove it once you are satisfied)`);
  return { sessions: sessions.length, entries, backupDir };
}

function copyEntry(v1: SqlJsStore, v2: RecorderStore, entry: Entry): void {
  const request = v1.readBody(entry.sessionId, entry.id, 'request');
  const response = v1.readBody(entry.sessionId, entry.id, 'response');
  // A body whose file was gone is now marked lost in v1: copy that mark, not the copy read before.
  const missing = (request === undefined && entry.request.body.capturedSize > 0 && !entry.request.body.dropped) ||
    (response === undefined && (entry.response?.body.capturedSize ?? 0) > 0 && !entry.response?.body.dropped);
  const current = missing ? (v1.getEntry(entry.sessionId, entry.id) ?? entry) : entry;
  v2.insertEntries([{ entry: current, bodies: { ...(request ? { request } : {}), ...(response ? { response } : {}) } }]);
}

/** Moves the v1 files into a backup folder (idempotent: a crash half-way is finished by the next open). */
export async function moveV1Aside(dataDir: string): Promise<string> {
  const backupDir = path.join(dataDir, `v1-backup-${new Date().toISOString().replace(/:/g, '-')}`);
  await fsp.mkdir(backupDir, { recursive: true, mode: DIR_MODE });
  const journals = (await listJournals(dataDir)).map((j) => path.basename(j.file));
  for (const name of [...V1_FILES, ...journals]) {
    const from = path.join(dataDir, name);
    if (await exists(from)) await fsp.rename(from, path.join(backupDir, name));
  }
  await fsyncDir(dataDir);
  return backupDir;
}

async function exists(file: string): Promise<boolean> {
  return fsp.access(file).then(() => true, () => false);
}
