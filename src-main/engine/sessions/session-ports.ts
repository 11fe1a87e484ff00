/**
 * Where sessions listen: the port range's cursor, the ports being bound right now, and binding a session's proxy
 * (an explicit port, or the first free one of the range). The Recorder owns the runners this returns.
 */
import { ApiError } from '../../../src-shared/errors.js';
import type { LocalMock } from '../../../src-shared/mocks.js';
import type { PortCheck, PortsStatus } from '../../../src-shared/model.js';
import type { CapturedEntry } from '../capture/entries.js';
import type { RecorderStore, SessionRecord } from '../store/store-types.js';
import type { RecorderLimits } from './limits.js';
import { PortCursor, isPortFree } from './port-pool.js';
import type { SessionHost, SessionRunner } from './session-runner.js';

export interface BoundSession {
  record: SessionRecord;
  runner: SessionRunner;
}

export class SessionPorts {
  private readonly cursor: PortCursor;
  /** Ports whose proxy is being started (not yet in the store as running). */
  private readonly starting = new Set<number>();

  constructor(
    private readonly store: RecorderStore,
    private readonly limits: RecorderLimits,
    private readonly host: SessionHost,
    private readonly onEntry: (sessionId: string, captured: CapturedEntry) => void,
    /** Map local's mocks for a session that has it on, handed to its proxy before the port opens. */
    private readonly mocksFor: (record: SessionRecord) => readonly LocalMock[] | undefined = () => undefined,
  ) {
    this.cursor = new PortCursor(limits.portRange);
  }

  /** Sessions counted against maxSessions: the running ones and those starting. */
  get startingCount(): number {
    return this.starting.size;
  }

  /** Start the proxy on `port` (0 = first free port of the range): the record with its real port, and its runner. */
  async launch(record: SessionRecord, port: number, explicit: boolean): Promise<BoundSession> {
    const { start, end } = this.limits.portRange;
    if (port !== 0) {
      if (explicit && (port < start || port > end)) {
        throw new ApiError('bad_request', `listenPort: ${port} is outside the session port range ${start}-${end}`, 'listenPort');
      }
      if (!(await this.available(port, record.listenHost))) {
        throw new ApiError('conflict', `listenPort: port ${port} is already in use`, 'listenPort');
      }
      return this.bind(record, port);
    }
    for (const candidate of this.cursor.candidates()) {
      if (!(await this.available(candidate, record.listenHost))) continue;
      try {
        const bound = await this.bind(record, candidate);
        this.cursor.advancePast(candidate);
        return bound;
      } catch (e) {
        if ((e as ApiError).code !== 'conflict') throw e;
      }
    }
    throw new ApiError('limit_reached', `no free port left in the session port range ${start}-${end}`);
  }

  async available(port: number, host: string): Promise<boolean> {
    if (this.starting.has(port)) return false;
    if (this.runningOn(port)) return false;
    return isPortFree(port, host);
  }

  /** Who holds a port, in words: a session by its name, never by its id. */
  holder(port: number): string {
    const owner = this.runningOn(port);
    if (owner) return `session "${owner.name}"`;
    return this.starting.has(port) ? 'a session that is starting' : 'another program';
  }

  status(): PortsStatus {
    const details = this.store
      .listSessions()
      .filter((r) => r.status === 'running')
      .map((r) => ({ port: r.listenPort, sessionId: r.id, sessionName: r.name }))
      .sort((a, b) => a.port - b.port);
    const { start, end } = this.limits.portRange;
    return { used: details.length, max: Math.min(this.limits.maxSessions, end - start + 1), rangeStart: start, rangeEnd: end, details };
  }

  async check(port: number): Promise<PortCheck> {
    const owner = this.runningOn(port);
    if (owner) return { port, available: false, reason: `used by session "${owner.name}"` };
    const { start, end } = this.limits.portRange;
    if (port < start || port > end) return { port, available: false, reason: `outside the session port range ${start}-${end}` };
    if (!(await isPortFree(port, '127.0.0.1'))) return { port, available: false, reason: 'in use by another program' };
    return { port, available: true };
  }

  private runningOn(port: number): SessionRecord | undefined {
    return this.store.listSessions().find((r) => r.status === 'running' && r.listenPort === port);
  }

  private async bind(record: SessionRecord, port: number): Promise<BoundSession> {
    const bound: SessionRecord = { ...record, listenPort: port };
    this.starting.add(port);
    try {
      const runner = await this.host.start(bound, (captured) => this.onEntry(bound.id, captured), this.mocksFor(bound));
      return { record: bound, runner };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE') throw new ApiError('conflict', `listenPort: port ${port} is already in use`, 'listenPort');
      if (err.code === 'EADDRNOTAVAIL') {
        throw new ApiError('bad_request', `listenHost: ${bound.listenHost} is not an address of this machine`, 'listenHost');
      }
      throw e;
    } finally {
      this.starting.delete(port);
    }
  }
}
