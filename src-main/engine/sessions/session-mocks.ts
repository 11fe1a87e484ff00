/**
 * Map local's side of the sessions: which mocks a session serves (the mock store's snapshot of its namespace:
 * `mapLocal.namespace`, else the session's own), and keeping running sessions in step with the store. A change
 * reaches every running session of its namespace, in this process or in every proxy worker, before the change is
 * answered (the store waits for its listeners), the way a toxics update does; the next exchange on any connection
 * takes it, with nothing closed.
 */
import type { LocalMock } from '../../../src-shared/mocks.js';
import { errorMessage } from '../store/fs-util.js';
import type { SessionRecord } from '../store/store-types.js';
import type { MockStore } from '../mocks/mock-store.js';
import type { SessionRunner } from './session-runner.js';

/** The namespace whose mocks the session serves; undefined when map local is off. */
export function mapLocalNamespace(record: SessionRecord): string | undefined {
  return record.mapLocal?.enabled ? (record.mapLocal.namespace ?? record.namespace) : undefined;
}

export class SessionMocks {
  constructor(
    readonly store: MockStore,
    private readonly runners: () => Iterable<SessionRunner>,
  ) {
    store.onChange((namespaces) => this.push(namespaces));
  }

  /** What a starting session's proxy is compiled with. */
  snapshotFor(record: SessionRecord): readonly LocalMock[] | undefined {
    const namespace = mapLocalNamespace(record);
    return namespace === undefined ? undefined : this.store.snapshot(namespace);
  }

  /**
   * A session that started while the store changed may have missed the change (its snapshot was taken before
   * it was among the runners): give it the current one. `version` is the store's when the start began.
   */
  async catchUp(runner: SessionRunner, version: number): Promise<void> {
    const namespace = mapLocalNamespace(runner.config);
    if (namespace === undefined || this.store.version === version) return;
    await runner.replaceMocks(this.store.snapshot(namespace));
  }

  private async push(namespaces: ReadonlySet<string>): Promise<void> {
    const pushes: Array<Promise<void>> = [];
    for (const runner of this.runners()) {
      const namespace = mapLocalNamespace(runner.config);
      if (namespace === undefined || !namespaces.has(namespace)) continue;
      pushes.push(Promise.resolve(runner.replaceMocks(this.store.snapshot(namespace))));
    }
    for (const result of await Promise.allSettled(pushes)) {
      if (result.status === 'rejected') process.emitWarning(`map local: a running session did not take the changed mocks: ${errorMessage(result.reason)}`);
    }
  }
}
