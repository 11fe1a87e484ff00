/**
 * The local mock store: Mockarty's mocks by id, in creation order (an overwrite keeps its place), persisted in the
 * data directory (mock-file.ts) or, without one (bare test servers), in memory. Bounded: MOCK_LIMITS.storeMocks
 * mocks and MOCK_LIMITS.storeBytes bytes of JSON; a save past either is refused, never half done.
 *
 * Every change is in effect at once (running sessions get a new snapshot through `onChange`) and answered once it
 * is on disk. A write that fails leaves the change in effect but unsaved, and says so (storage_failed); the next
 * successful write saves it. A mock whose ttl has passed is dropped when the store is next read.
 */
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../../src-shared/errors.js';
import { mockOrder } from '../../../src-shared/mock-routes.js';
import { DEFAULT_MOCK_NAMESPACE, MOCK_LIMITS, jsonBytes, type LocalMock, type Mock, type MockInput, type MocksSetAside } from '../../../src-shared/mocks.js';
import { errorMessage } from '../store/fs-util.js';
import { readMockFile, writeMockFile, type MockRecord } from './mock-file.js';

interface Held extends MockRecord {
  /** Creation order: ties in priority go to the older mock. */
  seq: number;
  bytes: number;
}

export interface MockQuery {
  namespace?: string | undefined;
  tags?: string[] | undefined;
  search?: string | undefined;
  offset: number;
  limit: number;
}

export interface MockStoreOptions {
  /** Where mocks.json lives; none: in memory only. */
  dir?: string | undefined;
  now?: () => number;
  limits?: { mocks: number; bytes: number };
  /** Hears a mocks file set aside at open (default: stderr). */
  warn?: (message: string) => void;
}

/** Hears which namespaces changed (a mock saved, moved, deleted or expired in them); a change waits for it. */
export type MockChangeListener = (namespaces: ReadonlySet<string>) => void | Promise<void>;

export class MockStore {
  private readonly held = new Map<string, Held>();
  private readonly now: () => number;
  private readonly dir: string | undefined;
  private readonly limits: { mocks: number; bytes: number };
  private readonly listeners = new Set<MockChangeListener>();
  private nextSeq = 0;
  private bytes = 0;
  private changes = 0;
  private generation = 0;
  private written = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Set when the file found at open could not be read as mocks and was moved aside. */
  readonly setAside: MocksSetAside | undefined;

  constructor(options: MockStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.dir = options.dir;
    this.limits = options.limits ?? { mocks: MOCK_LIMITS.storeMocks, bytes: MOCK_LIMITS.storeBytes };
    const loaded = this.dir ? readMockFile(this.dir, this.now) : { records: [] };
    for (const record of loaded.records) this.hold(record);
    this.setAside = loaded.setAside;
    if (loaded.setAside) {
      (options.warn ?? console.warn)(`Traffic Recorder: the mocks file could not be read (${loaded.setAside.problem}); it was kept as ${loaded.setAside.file} and the store starts empty`);
    }
  }

  /** Counts changes: a reader can tell whether the store changed since it last looked. */
  get version(): number {
    return this.changes;
  }

  onChange(listener: MockChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(id: string): Mock | undefined {
    this.expire();
    return this.held.get(id)?.mock;
  }

  list(query: MockQuery): { items: Mock[]; total: number } {
    this.expire();
    const search = query.search?.toLowerCase();
    const matching = [...this.held.values()]
      .map((h) => h.mock)
      .filter((m) => (query.namespace === undefined || m.namespace === query.namespace)
        && (query.tags ?? []).every((t) => m.tags?.includes(t))
        && (!search || searchable(m).includes(search)));
    return { items: matching.slice(query.offset, query.offset + query.limit), total: matching.length };
  }

  /** Namespaces holding mocks, and the default one, sorted. */
  namespaces(): string[] {
    this.expire();
    return [...new Set([DEFAULT_MOCK_NAMESPACE, ...[...this.held.values()].map((h) => h.mock.namespace)])].sort();
  }

  /** The namespace's mocks map local can serve (http, with a response or oneOf), in the order it tries them. */
  snapshot(namespace: string): LocalMock[] {
    this.expire();
    const served = [...this.held.values()].filter((h) => h.mock.namespace === namespace && h.mock.http && (h.mock.response || h.mock.oneOf));
    return mockOrder(served, (h) => h.mock.priority, (h) => h.seq).map((h) => (h.mock.ttl ? { mock: h.mock, expiresAt: h.savedAt + h.mock.ttl } : { mock: h.mock }));
  }

  /** Upsert each mock, all or none (every bound is checked first); says which ones replaced an existing mock. */
  async save(inputs: readonly MockInput[]): Promise<Array<{ overwritten: boolean; mock: Mock }>> {
    this.expire();
    const savedAt = this.now();
    const mocks = inputs.map(complete);
    this.assertRoom(mocks);
    const changed = new Set<string>();
    const results = mocks.map((mock) => {
      const old = this.held.get(mock.id);
      if (old) changed.add(old.mock.namespace);
      changed.add(mock.namespace);
      this.hold({ mock, savedAt }, old?.seq);
      return { overwritten: old !== undefined, mock };
    });
    await this.settle(changed);
    return results;
  }

  async delete(id: string): Promise<boolean> {
    this.expire();
    const held = this.held.get(id);
    if (!held) return false;
    this.release(id);
    await this.settle(new Set([held.mock.namespace]));
    return true;
  }

  /** Waits for every write asked for so far. */
  async flush(): Promise<void> {
    await this.chain;
  }

  /** Set keeps an existing id's place in the Map: listings stay in creation order through overwrites. */
  private hold(record: MockRecord, seq = this.nextSeq++): void {
    const old = this.held.get(record.mock.id);
    const bytes = jsonBytes(record.mock);
    this.held.set(record.mock.id, { ...record, seq, bytes });
    this.bytes += bytes - (old?.bytes ?? 0);
  }

  private release(id: string): void {
    const old = this.held.get(id);
    if (!old) return;
    this.bytes -= old.bytes;
    this.held.delete(id);
  }

  /** What the store would hold after the batch (a later mock of the batch with the same id replaces the earlier). */
  private assertRoom(mocks: readonly Mock[]): void {
    const sizes = new Map<string, number>();
    for (const mock of mocks) sizes.set(mock.id, jsonBytes(mock));
    let count = this.held.size;
    let bytes = this.bytes;
    for (const [id, size] of sizes) {
      const old = this.held.get(id);
      if (!old) count++;
      bytes += size - (old?.bytes ?? 0);
    }
    if (count > this.limits.mocks) {
      throw new ApiError('limit_reached', `the mock store holds at most ${this.limits.mocks} mocks (it has ${this.held.size}); delete some first`);
    }
    if (bytes > this.limits.bytes) {
      throw new ApiError('limit_reached', `the mock store holds at most ${this.limits.bytes} bytes of mocks (this would make ${bytes}); delete some first`);
    }
  }

  /** Mocks past their ttl go, and the sessions serving them hear of it. */
  private expire(): void {
    const now = this.now();
    const gone = new Set<string>();
    for (const [id, h] of this.held) {
      if (h.mock.ttl && h.savedAt + h.mock.ttl <= now) {
        this.release(id);
        gone.add(h.mock.namespace);
      }
    }
    if (gone.size === 0) return;
    // Sessions skip an expired mock by themselves: telling them is tidiness, not correctness, so nobody waits.
    this.settle(gone).catch((e: unknown) => process.emitWarning(`mock store: expired mocks not yet removed from disk: ${errorMessage(e)}`));
  }

  /** A change is in effect once the listeners (running sessions) have it, and answered once it is on disk too. */
  private async settle(namespaces: ReadonlySet<string>): Promise<void> {
    this.changes++;
    const heard = Promise.all([...this.listeners].map((listener) => Promise.resolve(listener(namespaces))));
    try {
      await this.persist();
    } finally {
      await heard;
    }
  }

  /** One write at a time; a write covers every change made before it began, so queued ones coalesce. */
  private persist(): Promise<void> {
    const dir = this.dir;
    if (!dir) return Promise.resolve();
    const wanted = ++this.generation;
    const link = this.chain.then(async () => {
      if (this.written >= wanted) return;
      const generation = this.generation;
      const records = [...this.held.values()].map(({ mock, savedAt }) => ({ mock, savedAt }));
      try {
        await writeMockFile(dir, records);
      } catch (e) {
        throw new ApiError('storage_failed', `mocks: the change is in effect but not saved to ${dir} (${errorMessage(e)}); it is lost at restart unless a later change is saved`);
      }
      this.written = generation;
    });
    this.chain = link.catch(() => undefined);
    return link;
  }
}

/** Id and namespace filled in, id first (as Mockarty lists them). */
function complete(input: MockInput): Mock {
  const { id, namespace, ...rest } = input;
  return { id: id ?? randomUUID(), namespace: namespace ?? DEFAULT_MOCK_NAMESPACE, ...rest };
}

function searchable(mock: Mock): string {
  return [mock.id, mock.chainId, mock.http?.route, mock.http?.routePattern, mock.http?.httpMethod, ...(mock.tags ?? [])]
    .filter((s) => s !== undefined)
    .join('\n')
    .toLowerCase();
}
