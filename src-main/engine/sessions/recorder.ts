/**
 * The recorder model: sessions, their proxies, capture into the store, limits, expiry, retention and the stream.
 * Every transport (REST, IPC, CLI through REST) is a thin adapter over these operations.
 */
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../../src-shared/errors.js';
import type { ParsedInputOf } from '../../../src-shared/contract.js';
import { EVICT_ENTRY_ID, type Entry, type EntryPage, type PortCheck, type PortsStatus, type Session, type StorageReport, type StorageStatus } from '../../../src-shared/model.js';
import { NOT_YET_SUPPORTED_OPTIONS, type StartSessionInput } from '../../../src-shared/schemas.js';
import { isEmptyModifications, type SessionModifications } from '../../../src-shared/modifications.js';
import type { SessionToxics } from '../../../src-shared/toxics.js';
import type { CapturedEntry } from '../capture/entries.js';
import type { CapturedExchange } from '../capture/http-capture.js';
import { bodyLength, isWrittenBody, type BodySide, type EntryBodies, type EvictionNotice, type RecorderStore, type SessionRecord } from '../store/store-types.js';
import { DEFAULT_LIMITS, connectionLimitsOf, type RecorderLimits } from './limits.js';
import { assertListenableHost } from './port-pool.js';
import { inProcessHost, type SessionHost, type SessionRunner } from './session-runner.js';
import { EntryReads, type ListEntriesInput } from './entry-reads.js';
import { SessionPorts } from './session-ports.js';
import { SessionRules, isEmptyToxics } from './session-rules.js';
import { SessionMocks } from './session-mocks.js';
import { MockStore } from '../mocks/mock-store.js';
import { StreamHub, type StreamListener, type SubscribeOptions } from './stream-hub.js';
import { EntryQueue } from './entry-queue.js';
import { generateSessionName } from './session-names.js';
import { ephemeralTlsMaterial } from './tls-material.js';
import type { CertificateAuthority } from '../ca/index.js';
import { interceptionOptions } from './mitm.js';
import type { UpstreamPolicy } from '../proxy/upstream-policy.js';
import { defaultEngineConfig, type EngineConfig } from '../../../src-shared/engine-config.js';

/** The recorder's part of the engine configuration (src-shared/engine-config.ts), and what is injected at run time. */
export interface RecorderOptions extends Partial<Pick<EngineConfig, 'sweepIntervalMs' | 'streamIntervalMs'>> {
  store: RecorderStore;
  limits?: Partial<RecorderLimits>;
  /** Injectable clock (epoch ms) for expiry and retention. */
  now?: () => number;
  tlsMaterial?: () => Promise<{ key: string; cert: string }>;
  /** Upstream hosts sessions may contact (default: any); tests restrict it to loopback. */
  upstreamPolicy?: UpstreamPolicy;
  /** The install CA, loaded or created on first use (MITM sessions, `/ca/generate`). */
  certificateAuthority?: () => Promise<CertificateAuthority>;
  /** Where session proxies run; default: in this process. */
  sessionHost?: SessionHost;
  /** The engine's data directory, for what is kept beside the traffic (mocks, saved configs); none: in memory. */
  dataDir?: string;
}

const DEFAULT_CONFIG = defaultEngineConfig();


export class Recorder {
  readonly limits: RecorderLimits;
  private readonly store: RecorderStore;
  private readonly now: () => number;
  private readonly proxies = new Map<string, SessionRunner>();
  private readonly host: SessionHost;
  private readonly hub: StreamHub;
  private readonly sessionPorts: SessionPorts;
  private readonly rules: SessionRules;
  private readonly entries: EntryReads;
  readonly dataDir: string | undefined;
  /** The local mock store (`/api/v1/mocks`), which map local serves from. */
  readonly mocks: MockStore;
  private readonly sessionMocks: SessionMocks;
  private readonly tlsMaterial: () => Promise<{ key: string; cert: string }>;
  private readonly certificateAuthority: (() => Promise<CertificateAuthority>) | undefined;
  private readonly upstreamPolicy: UpstreamPolicy | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly queue: EntryQueue;

  constructor(options: RecorderOptions) {
    this.store = options.store;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.hub = new StreamHub(options.streamIntervalMs ?? DEFAULT_CONFIG.streamIntervalMs);
    this.queue = new EntryQueue(this.store, this.hub);
    this.dataDir = options.dataDir;
    this.tlsMaterial = options.tlsMaterial ?? ephemeralTlsMaterial;
    this.certificateAuthority = options.certificateAuthority;
    this.upstreamPolicy = options.upstreamPolicy;
    this.host =
      options.sessionHost ??
      inProcessHost({
        bodyLimit: this.limits.bodyLimit,
        upstreamTimeoutMs: this.limits.upstreamTimeoutMs,
        tlsMaterial: this.tlsMaterial,
        ...(this.certificateAuthority ? { mitmHttps: this.mitmHttps } : {}),
        ...(this.upstreamPolicy ? { upstreamPolicy: this.upstreamPolicy } : {}),
        connectionLimits: connectionLimitsOf(this.limits),
        onExchangeStart: this.announcePending,
        onExchangeDropped: this.withdrawPending,
      });
    this.mocks = new MockStore({ dir: this.dataDir, now: this.now });
    this.sessionMocks = new SessionMocks(this.mocks, () => this.proxies.values());
    this.sessionPorts = new SessionPorts(this.store, this.limits, this.host, (id, captured) => this.ingest(id, captured), (r) => this.sessionMocks.snapshotFor(r));
    const record = (id: string) => this.record(id);
    this.rules = new SessionRules({
      store: this.store, record, runner: (id) => this.proxies.get(id),
      published: (saved) => this.hub.publish(saved.id, { type: 'session', session: this.toSession(saved) }),
    });
    this.entries = new EntryReads({ store: this.store, hub: this.hub, record });
    // A session still marked running was interrupted (crash or kill): its proxy is gone.
    for (const record of this.store.listSessions()) {
      if (record.status === 'running') {
        this.store.upsertSession({ ...record, status: 'stopped', stoppedAt: new Date(this.now()).toISOString() });
      }
    }
    const interval = options.sweepIntervalMs ?? DEFAULT_CONFIG.sweepIntervalMs;
    if (interval > 0) {
      this.sweepTimer = setInterval(() => void this.sweep(), interval);
      this.sweepTimer.unref();
    }
  }

  // ---- sessions -------------------------------------------------------------------------------------------

  // Inputs arrive validated: every transport parses them at its boundary with the operation table's schemas.

  async startSession(input: StartSessionInput): Promise<{ session: Session }> {
    for (const option of NOT_YET_SUPPORTED_OPTIONS) {
      if (input[option] !== undefined) {
        throw new ApiError('not_supported', `${option}: not supported yet by this version of Traffic Recorder`, option);
      }
    }
    if (input.listenHost !== undefined) await assertListenableHost(input.listenHost);
    if (input.mitm?.enabled && !this.certificateAuthority) {
      throw new ApiError('not_supported', 'mitm: this recorder was started without a certificate authority', 'mitm');
    }
    // The CA exists before any proxy (here or in a worker) needs it.
    if (input.mitm?.enabled) await this.certificateAuthority!();
    this.assertCapacity();
    const nowMs = this.now();
    const record: SessionRecord = {
      id: randomUUID(),
      name: input.name?.trim() || generateSessionName(this.now()),
      mode: input.mode ?? 'reverse',
      listenPort: input.listenPort ?? input.port ?? 0,
      listenHost: input.listenHost ?? '127.0.0.1',
      namespace: input.namespace ?? 'default',
      filters: input.filters ?? {},
      status: 'running',
      createdAt: new Date(nowMs).toISOString(),
      startedAt: new Date(nowMs).toISOString(),
      expiresAt: new Date(nowMs + this.limits.sessionTtlMs).toISOString(),
    };
    if (input.targetUrl) record.targetUrl = input.targetUrl;
    if (input.mitm) record.mitm = input.mitm;
    if (input.ignoreUpstreamCertErrors) record.ignoreUpstreamCertErrors = true;
    if (input.toxics && !isEmptyToxics(input.toxics)) record.toxics = input.toxics;
    if (input.modifications && !isEmptyModifications(input.modifications)) record.modifications = input.modifications;
    if (input.mapLocal) record.mapLocal = input.mapLocal;
    const started = await this.launch(record, record.listenPort, true);
    this.store.upsertSession(started);
    return { session: this.toSession(started) };
  }

  async listSessions(): Promise<{ sessions: Session[]; total: number }> {
    this.flushPending();
    const sessions = this.store.listSessions().map((r) => this.toSession(r));
    sessions.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return { sessions, total: sessions.length };
  }

  async getSession({ id }: { id: string }): Promise<{ session: Session }> {
    return { session: this.toSession(this.record(id)) };
  }

  async stopSession({ id }: { id: string }): Promise<{ session: Session }> {
    const record = this.record(id);
    if (record.status === 'stopped') return { session: this.toSession(record) };
    return { session: this.toSession(await this.halt(record)) };
  }

  async restartSession({ id, keepPort }: ParsedInputOf<'restartSession'>): Promise<{ session: Session }> {
    const record = this.record(id);
    if (record.status === 'running') {
      throw new ApiError('conflict', `session "${record.name}" is already running on port ${record.listenPort}: stop it first`);
    }
    this.assertCapacity();
    const nowMs = this.now();
    const next: SessionRecord = {
      ...record,
      status: 'running',
      startedAt: new Date(nowMs).toISOString(),
      expiresAt: new Date(nowMs + this.limits.sessionTtlMs).toISOString(),
    };
    delete next.stoppedAt;
    // Same port when it is still free; otherwise any free one, unless the caller would rather hear who holds it.
    const free = await this.sessionPorts.available(record.listenPort, record.listenHost);
    if (!free && keepPort) {
      throw new ApiError('conflict', `listenPort: port ${record.listenPort} is taken by ${this.sessionPorts.holder(record.listenPort)}`, 'listenPort');
    }
    const preferred = free ? record.listenPort : 0;
    const started = await this.launch(next, preferred, false);
    this.store.upsertSession(started);
    return { session: this.toSession(started) };
  }

  getToxics(input: { id: string }): Promise<{ toxics: SessionToxics }> {
    return this.rules.getToxics(input);
  }

  updateToxics(input: ParsedInputOf<'updateToxics'>): Promise<{ toxics: SessionToxics }> {
    return this.rules.updateToxics(input);
  }

  getModifications(input: { id: string }): Promise<{ modifications: SessionModifications }> {
    return this.rules.getModifications(input);
  }

  updateModifications(input: ParsedInputOf<'updateModifications'>): Promise<{ modifications: SessionModifications }> {
    return this.rules.updateModifications(input);
  }

  async deleteSession({ id }: { id: string }): Promise<{ deleted: true; id: string }> {
    this.record(id);
    await this.proxies.get(id)?.stop();
    this.proxies.delete(id);
    await this.store.deleteSession(id);
    return { deleted: true, id };
  }

  /**
   * A stopped session holding entries captured elsewhere (a HAR import): a forward session with no port of its own
   * until restarted. The entries get this session's id; they are written in batches bounded by bytes, waiting for
   * the disk between batches, so that the store's memory budget never drops an imported body.
   */
  async importSession(input: { name: string; items: ReadonlyArray<{ entry: Entry; bodies: EntryBodies }> }): Promise<{ session: Session }> {
    const nowMs = this.now();
    const at = new Date(nowMs).toISOString();
    const record: SessionRecord = {
      id: randomUUID(),
      name: input.name,
      mode: 'forward',
      listenPort: 0,
      listenHost: '127.0.0.1',
      namespace: 'default',
      filters: {},
      status: 'stopped',
      createdAt: at,
      startedAt: at,
      stoppedAt: at,
      expiresAt: new Date(nowMs + this.limits.sessionTtlMs).toISOString(),
    };
    this.store.upsertSession(record);
    const budget = Math.max(1024 * 1024, Math.floor(this.store.storageStatus().maxPendingBytes / 4));
    let batch: Array<{ entry: Entry; bodies: EntryBodies }> = [];
    let bytes = 0;
    const write = async () => {
      if (batch.length === 0) return;
      this.store.insertEntries(batch);
      batch = [];
      bytes = 0;
      if (this.store.storageStatus().pendingBytes > budget) await this.store.flush();
    };
    for (const item of input.items) {
      for (const body of [item.bodies.request, item.bodies.response]) if (body && !isWrittenBody(body)) bytes += bodyLength(body);
      batch.push({ entry: { ...item.entry, sessionId: record.id }, bodies: item.bodies });
      if (bytes >= budget || batch.length >= 256) await write();
    }
    await write();
    return { session: this.toSession(this.record(record.id)) };
  }

  // ---- entries --------------------------------------------------------------------------------------------

  listEntries(input: ListEntriesInput): Promise<EntryPage> {
    return this.entries.list(input);
  }

  getEntry(input: { id: string; entryId: string }): Promise<{ entry: Entry }> {
    return this.entries.get(input);
  }

  patchEntry(input: ParsedInputOf<'patchEntry'>): Promise<{ entry: Entry }> {
    return this.entries.patch(input);
  }

  readEntryBody(id: string, entryId: string, side: BodySide, decoded: boolean): Promise<{ bytes: Buffer; contentType?: string }> {
    return this.entries.body(id, entryId, side, decoded);
  }

  searchEntries(id: string, text: string, limit?: number): Promise<string[]> {
    return this.entries.search(id, text, limit);
  }

  subscribe(sessionId: string, listener: StreamListener, options?: SubscribeOptions): () => void {
    this.record(sessionId);
    return this.hub.subscribe(sessionId, listener, options);
  }

  // ---- ports ----------------------------------------------------------------------------------------------

  async ports(): Promise<PortsStatus> {
    this.flushPending();
    return this.sessionPorts.status();
  }

  portCheck({ port }: { port: number }): Promise<PortCheck> {
    return this.sessionPorts.check(port);
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------

  /** Stop sessions past their expiry; drop stopped sessions past retention. */
  async sweep(): Promise<void> {
    const nowMs = this.now();
    for (const record of this.store.listSessions()) {
      if (record.status === 'running' && Date.parse(record.expiresAt) <= nowMs) {
        await this.halt(record);
      } else if (record.status === 'stopped' && record.stoppedAt && Date.parse(record.stoppedAt) + this.limits.retentionMs <= nowMs) {
        // Its entries expired by age: said on its stream (before it goes) as budget evictions are.
        const count = this.store.countEntries(record.id);
        if (count > 0) this.hub.publish(record.id, { type: 'evicted', eviction: { sessionId: record.id, count, reason: 'expired' } });
        this.hub.flush();
        await this.store.deleteSession(record.id);
      }
    }
  }

  /** Graceful shutdown: stop every proxy, mark sessions stopped, make the store durable. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.flushPending();
    for (const record of this.store.listSessions()) if (record.status === 'running') await this.halt(record);
    this.hub.close();
    await this.host.close();
    await this.mocks.flush();
    await this.store.flush();
  }

  // ---- internals ------------------------------------------------------------------------------------------

  private async halt(record: SessionRecord): Promise<SessionRecord> {
    const proxy = this.proxies.get(record.id);
    await proxy?.stop();
    // Exchanges that completed while the proxy closed are still recorded.
    this.proxies.delete(record.id);
    this.flushPending();
    const stopped: SessionRecord = { ...record, status: 'stopped', stoppedAt: new Date(this.now()).toISOString() };
    this.store.upsertSession(stopped);
    this.hub.publish(record.id, { type: 'session', session: this.toSession(stopped) });
    return stopped;
  }

  private assertCapacity(): void {
    const running = this.store.listSessions().filter((r) => r.status === 'running').length + this.sessionPorts.startingCount;
    if (running >= this.limits.maxSessions) {
      throw new ApiError('limit_reached', `at most ${this.limits.maxSessions} sessions may run at once; stop one first`);
    }
  }

  /** Start the session's proxy (see SessionPorts.launch) and keep its runner. */
  private async launch(record: SessionRecord, port: number, explicit: boolean): Promise<SessionRecord> {
    const mocksVersion = this.mocks.version;
    const bound = await this.sessionPorts.launch(record, port, explicit);
    this.proxies.set(bound.record.id, bound.runner);
    await this.sessionMocks.catchUp(bound.runner, mocksVersion);
    return bound.record;
  }

  private readonly mitmHttps = async (mitm: NonNullable<SessionRecord['mitm']>) => {
    return interceptionOptions(await this.certificateAuthority!(), mitm);
  };

  /** Only while someone watches the stream: otherwise a request costs nothing extra (the entry makes its own id). */
  private readonly announcePending = (sessionId: string, exchange: CapturedExchange): void => {
    if (!this.hub.wantsPending(sessionId)) return;
    exchange.id = randomUUID();
    const entry = { id: exchange.id, sessionId, method: exchange.method, url: exchange.url, startedAt: new Date(exchange.startedAt).toISOString() };
    this.hub.publish(sessionId, { type: 'pending', entry }, true);
  };

  private readonly withdrawPending = (sessionId: string, exchange: CapturedExchange): void => {
    this.hub.publish(sessionId, { type: 'entry', entry: { id: EVICT_ENTRY_ID, notes: exchange.id! } }, true);
  };

  /** An entry captured by a session's proxy (here or in a worker process). */
  private ingest(sessionId: string, captured: CapturedEntry): void {
    if (!this.proxies.has(sessionId)) return;
    this.queue.append(captured.entry, captured.bodies);
  }

  /** Write queued entries now (every read does first). */
  flushPending(): void {
    this.queue.flush();
  }

  /**
   * The store's evictions (its per-session limit or a store-wide budget), wired to its `onEvicted`: each id as
   * the reference's `__evict__` entry message, and one `evicted` message saying how many and why.
   */
  readonly storeEvicted = (notice: EvictionNotice): void => {
    if (notice.ids.length === 0) return;
    for (const id of notice.ids) this.hub.publish(notice.sessionId, { type: 'entry', entry: { id: EVICT_ENTRY_ID, notes: id } });
    const limit = { 'session-limit': this.limits.maxEntriesPerSession, 'total-entries': this.limits.maxTotalEntries, 'store-bytes': this.limits.maxStoreBytes, expired: undefined }[notice.reason];
    const eviction = { sessionId: notice.sessionId, count: notice.ids.length, reason: notice.reason, ...(limit !== undefined ? { limit } : {}) };
    this.hub.publish(notice.sessionId, { type: 'evicted', eviction });
  };

  /** Whether captured traffic reaches the disk (the server's status). */
  storageStatus(): StorageStatus {
    return this.store.storageStatus();
  }

  /** The storage state with the store's usage against its budgets (`GET /storage`). */
  async storage(): Promise<{ storage: StorageReport }> {
    return { storage: this.storageReport() };
  }

  storageReport(): StorageReport {
    this.flushPending();
    return { ...this.store.storageStatus(), usage: this.store.usage() };
  }

  private record(id: string): SessionRecord {
    this.flushPending();
    const record = this.store.getSession(id);
    if (!record) throw new ApiError('not_found', `session ${id} not found`);
    return record;
  }

  private toSession(record: SessionRecord): Session {
    const host = record.listenHost === '0.0.0.0' || record.listenHost === '::' ? '127.0.0.1' : record.listenHost;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    return {
      ...record, proxyUrl: `http://${hostPart}:${record.listenPort}`, entryCount: this.store.countEntries(record.id),
      storage: this.store.storageStatus(record.id),
    };
  }
}
