/**
 * How one v1 journal record changes the v1 store (sqljs-store.ts): the database and the body-file queues. The same
 * code serves live writes and the replay of journals on open, so a replay ends where the writes did.
 */
import type { Entry } from '../../../src-shared/model.js';
import type { BodyFiles } from './body-files.js';
import type { EntryDb, FileRef } from './entry-db.js';
import type { JournalRecord } from './journal.js';
import { sideInfo } from './stored-entry.js';

/** A journal's file reference: a length, or 1 (length unknown) from journals that kept none. */
function fileLength(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/** Applies `record`; returns the entry it changed, for the records that change one. */
export function applyJournalRecord(db: EntryDb, bodies: BodyFiles, record: JournalRecord): Entry | undefined {
  switch (record.op) {
    case 'upsertSession':
      db.upsertSession(record.record.id, JSON.stringify(record.record));
      return undefined;
    case 'deleteSession':
      dropBodyFiles(bodies, record.sessionId, db.deleteSession(record.sessionId));
      bodies.queueRmdir(bodies.sessionDir(record.sessionId));
      return undefined;
    case 'insertEntry': {
      const { entry } = record;
      db.putEntry({
        sessionId: entry.sessionId, id: entry.id, seq: record.seq, startedAt: entry.startedAt,
        json: JSON.stringify(entry),
        reqBody: record.req === undefined ? null : Buffer.from(record.req, 'base64'),
        resBody: record.res === undefined ? null : Buffer.from(record.res, 'base64'),
        reqFile: fileLength(record.reqFile), resFile: fileLength(record.resFile),
      });
      return undefined;
    }
    case 'updateEntry': {
      const json = db.getEntryJson(record.sessionId, record.entryId);
      if (json === undefined) return undefined;
      const entry = JSON.parse(json) as Entry;
      if (record.patch.tags !== undefined) entry.tags = record.patch.tags;
      if (record.patch.notes !== undefined) entry.notes = record.patch.notes;
      db.setEntryJson(record.sessionId, record.entryId, JSON.stringify(entry));
      return entry;
    }
    case 'deleteEntries':
      dropBodyFiles(bodies, record.sessionId, db.deleteEntries(record.sessionId, record.entryIds));
      return undefined;
    case 'bodyState':
      return applyBodyState(db, bodies, record);
    default: {
      const never: never = record;
      throw new Error(`unknown journal record ${JSON.stringify(never)}`);
    }
  }
}

function applyBodyState(db: EntryDb, bodies: BodyFiles, record: Extract<JournalRecord, { op: 'bodyState' }>): Entry | undefined {
  const { sessionId, entryId, side } = record;
  const json = db.getEntryJson(sessionId, entryId);
  if (json === undefined) return undefined;
  const entry = JSON.parse(json) as Entry;
  const info = sideInfo(entry, side);
  if (!info) return undefined;
  if (record.state === 'lost') {
    info.lost = true;
    entry.bodyLost = true;
  } else {
    info.dropped = true;
    info.droppedReason = record.reason;
  }
  // What is left of a short file is not the body: remove it along with the reference.
  if (db.getBody(sessionId, entryId, side)?.inFile) bodies.queueDelete(bodies.pathOf(sessionId, entryId, side));
  db.clearBody(sessionId, entryId, side);
  db.setEntryJson(sessionId, entryId, JSON.stringify(entry));
  return entry;
}

function dropBodyFiles(bodies: BodyFiles, sessionId: string, refs: FileRef[]): void {
  for (const ref of refs) {
    if (ref.reqFile) bodies.queueDelete(bodies.pathOf(sessionId, ref.entryId, 'request'));
    if (ref.resFile) bodies.queueDelete(bodies.pathOf(sessionId, ref.entryId, 'response'));
  }
}
