/**
 * How the v1 store (sqljs-store.ts) reaches the disk: save cycles (body files, then the journal lines that refer
 * to them), and now and then a full snapshot of the database that lets older journals go. Also whether saving
 * works (the storage state its status reports).
 *
 * Crash safety of the snapshot switch rests on journal generations: each snapshot records the first generation it
 * does not contain, the journal is rotated at the exact moment of export(), and older journals are deleted only
 * after the snapshot's rename is durable.
 */
import { promises as fsp } from 'node:fs';
import type { StorageStatus } from '../../../src-shared/model.js';
import type { BodyBatch, BodyFiles } from './body-files.js';
import type { EntryDb } from './entry-db.js';
import { errorMessage } from './fs-util.js';
import { listJournals, type JournalWriter } from './journal.js';
import { writeSnapshot } from './snapshot.js';

/** Meta key in a snapshot: the first journal generation the snapshot does not already contain. */
export const JOURNAL_GEN_KEY = 'journal_gen';

export type StorageState = Omit<StorageStatus, 'droppedBodies' | 'pendingBytes' | 'maxPendingBytes'>;

export class SqlJsDurability {
  storage: StorageState = { state: 'ok', since: new Date().toISOString() };
  /** A save cycle is writing (its journal lines and body files are taken, not yet on disk). */
  persisting = false;
  /** Changes not in a snapshot yet. */
  dirty = false;
  /** Set by close(): no background snapshot starts after it. */
  closed = false;
  snapshotting: Promise<void> | undefined;
  private snapshotScheduled = false;
  /** Persist work (body files, journal appends, journal deletion) runs strictly one after another. */
  private tail: Promise<void> = Promise.resolve();
  private flushQueued = false;

  constructor(
    private readonly dataDir: string,
    private readonly db: EntryDb,
    readonly journal: JournalWriter,
    private readonly bodies: BodyFiles,
    private readonly snapshotBytes: number,
    private readonly warn: (message: string) => void,
  ) {}

  /** Journals a line; past `snapshotBytes` of journal, a snapshot follows. */
  append(line: string): void {
    this.journal.append(line);
    this.dirty = true;
    if (!this.snapshotScheduled && !this.snapshotting && this.journal.bytes >= this.snapshotBytes) {
      this.snapshotScheduled = true;
      // export() is O(database): never inside the caller's insert, always on a later turn of the event loop.
      setImmediate(() => {
        this.snapshotScheduled = false;
        if (!this.closed && !this.snapshotting) void this.snapshotNow().catch((error: unknown) => this.noteFailure(error));
      });
    }
  }

  /**
   * Captures the database synchronously (rotating the journal at the same instant), then writes it out while journal
   * appends carry on: a big snapshot must not stretch the window of writes a crash could lose. Async so that a
   * synchronous failure (export) becomes a rejection even when called from a timer.
   */
  async snapshotNow(): Promise<void> {
    if (this.snapshotting) return this.snapshotting.then(() => this.snapshotNow());
    if (!this.dirty) return this.enqueue(() => this.persist());
    const gen = this.journal.rotate();
    this.db.setMeta(JOURNAL_GEN_KEY, String(gen));
    const bytes = this.db.export();
    this.dirty = false;
    const run = async (): Promise<void> => {
      // Body files of entries in the snapshot, and the older journal's tail, go to disk before the snapshot does.
      await this.enqueue(() => this.persist());
      await writeSnapshot(this.dataDir, bytes);
      await this.enqueue(async () => {
        await this.journal.closeHandle();
        for (const journal of await listJournals(this.dataDir)) {
          if (journal.gen < gen) await fsp.rm(journal.file, { force: true });
        }
      });
    };
    const snapshotting = run()
      .catch((error: unknown) => {
        // Its journals were kept (they are deleted only after a successful rename); try again later.
        this.dirty = true;
        throw error;
      })
      .finally(() => {
        if (this.snapshotting === snapshotting) this.snapshotting = undefined;
      });
    this.snapshotting = snapshotting;
    return snapshotting;
  }

  /**
   * One save cycle. The journal is marked and the body-file queues taken at the same instant, then the files are
   * written before the journal lines up to the mark: a line never reaches the disk before the body file it refers
   * to. A body file that cannot be written stays queued and does not hold back the journal (its entry is saved; a
   * crash before a later cycle writes the file leaves it lost, and says so on the next open).
   */
  async persist(): Promise<void> {
    this.persisting = true;
    try {
      await this.persistOnce();
    } finally {
      this.persisting = false;
    }
  }

  private async persistOnce(): Promise<void> {
    const startedAt = new Date().toISOString();
    const mark = this.journal.mark();
    const batch = this.bodies.takeBatch();
    const writeFailures = await this.bodies.writeBatch(batch);
    try {
      await this.journal.flush(mark);
    } catch (error) {
      this.bodies.requeueRemovals(batch);
      this.noteFailure(error);
      throw error;
    }
    const removeFailures = await this.bodies.removeBatch(batch);
    const failure = batchFailure(batch, writeFailures, removeFailures);
    if (failure) {
      this.noteFailure(failure);
      throw failure;
    }
    this.noteSaved(startedAt);
  }

  /** Background failures are not lost: they show in the storage state (warned once per episode). */
  noteFailure(error: unknown): void {
    const message = errorMessage(error);
    if (this.storage.state === 'ok') {
      this.warn(`history store: could not save to ${this.dataDir}: ${message} (capture goes on; will retry)`);
      this.storage = { ...this.storage, state: 'failing', since: new Date().toISOString() };
    }
    this.storage.error = message;
  }

  private noteSaved(startedAt: string): void {
    if (this.storage.state === 'failing') {
      this.warn(`history store: saving to ${this.dataDir} works again`);
      this.storage = { state: 'ok', since: new Date().toISOString() };
    }
    this.storage.savedAt = startedAt;
  }

  /** The timer's save cycle: one at a time, and only when something waits. */
  backgroundFlush(): void {
    if (this.flushQueued || (!this.journal.hasPending && !this.bodies.hasPending)) return;
    this.flushQueued = true;
    this.enqueue(() => {
      this.flushQueued = false;
      return this.persist();
    }).catch((error: unknown) => this.noteFailure(error));
  }

  enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

function batchFailure(batch: BodyBatch, writes: { error: unknown }[], removals: unknown[]): Error | undefined {
  if (writes.length > 0) {
    return new Error(`could not write ${writes.length} of ${batch.writes.length} body file(s): ${errorMessage(writes[0]!.error)}`);
  }
  if (removals.length > 0) return new Error(`could not remove ${removals.length} body file(s): ${errorMessage(removals[0])}`);
  return undefined;
}
