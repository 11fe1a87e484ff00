/**
 * What the v1 store (sqljs-store.ts) does on open before it replays its journals, and after a crash: load the
 * snapshot (one that is damaged is moved aside, and the history starts empty but for the journals), and check the
 * body files against what the database refers to.
 */
import type { SqlJsStatic } from 'sql.js';
import type { BodyFiles } from './body-files.js';
import { EntryDb } from './entry-db.js';
import { errorMessage } from './fs-util.js';
import type { JournalRecord } from './journal.js';
import { looksLikeSqlite, moveSnapshotAside, readSnapshot, snapshotPath } from './snapshot.js';
import type { BodySide } from './store-types.js';

/** The snapshot's database, or an empty one; `recovered` when the snapshot was unreadable and moved aside. */
export async function openSnapshotDb(SQL: SqlJsStatic, dataDir: string, warn: (message: string) => void): Promise<{ db: EntryDb; recovered: boolean }> {
  const bytes = await readSnapshot(dataDir);
  if (bytes) {
    try {
      if (!looksLikeSqlite(bytes)) throw new Error('not an SQLite database file');
      return { db: new EntryDb(SQL, bytes), recovered: false };
    } catch (error) {
      const aside = await moveSnapshotAside(dataDir);
      warn(
        `history database ${snapshotPath(dataDir)} is unreadable (${errorMessage(error)}); ` +
          `moved it to ${aside} and starting with an empty history`,
      );
      return { db: new EntryDb(SQL), recovered: true };
    }
  }
  return { db: new EntryDb(SQL), recovered: false };
}

/**
 * After a crash: removes body files nothing refers to, and returns the records that mark the bodies whose file is
 * missing or short as lost, so no entry claims bytes it no longer has.
 */
export async function checkBodyFiles(db: EntryDb, bodies: BodyFiles, warn: (message: string) => void): Promise<Extract<JournalRecord, { op: 'bodyState' }>[]> {
  const expected = new Map<string, { sessionId: string; entryId: string; side: BodySide; length: number }>();
  for (const { sessionId, ref } of db.allFileRefs()) {
    if (ref.reqFile) expected.set(bodies.pathOf(sessionId, ref.entryId, 'request'), { sessionId, entryId: ref.entryId, side: 'request', length: ref.reqFile });
    if (ref.resFile) expected.set(bodies.pathOf(sessionId, ref.entryId, 'response'), { sessionId, entryId: ref.entryId, side: 'response', length: ref.resFile });
  }
  const { removed, sizes } = await bodies.removeOrphans(new Set(expected.keys()));
  if (removed > 0) warn(`history store: removed ${removed} body file(s) left behind by an interrupted run`);
  const lost: Extract<JournalRecord, { op: 'bodyState' }>[] = [];
  for (const [file, { length, ...owner }] of expected) {
    const size = sizes.get(file);
    if (size !== undefined && (length <= 1 || size === length)) continue;
    const reason = size === undefined ? 'body file is missing' : `body file is short (${size} of ${length} bytes)`;
    lost.push({ op: 'bodyState', ...owner, state: 'lost', reason });
  }
  return lost;
}
