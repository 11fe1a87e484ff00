import { useEffect } from 'react';
import type { ReactNode } from 'react';
import type { Session } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { useSessionsStore } from '../../stores/sessions-store.js';
import { useStorageStore } from '../../stores/storage-store.js';
import { WARN_AT, formatBytes, formatCount, fraction } from '../storage/storage-view.js';
import type { StorageView } from '../storage/storage-view.js';
import { refreshStorage } from '../storage/use-storage-poll.js';
import '../storage/storage.css';

/** Settings → Storage: the store against its budgets, per session, and whether it is saving. */
export function StorageSection() {
  const client = useClient();
  const report = useStorageStore((s) => s.report);
  const error = useStorageStore((s) => s.error);
  const sessions = useSessionsStore((s) => s.sessions);
  useEffect(() => {
    // Fresh numbers when the dialog opens; the app-wide poll keeps them current after that.
    void refreshStorage(client);
  }, [client]);
  return <StorageSectionView report={report} error={error} sessions={sessions} />;
}

function StorageSectionShell({ children }: { children: ReactNode }) {
  return (
    <section className="settings-section" data-testid="settings-storage">
      <h3>Storage</h3>
      {children}
    </section>
  );
}

export function StorageSectionView({ report, error, sessions }: { report: StorageView | null; error: string | null; sessions: readonly Pick<Session, 'id' | 'name'>[] }) {
  if (!report) {
    return <StorageSectionShell>{error ? <div className="banner error" role="alert">{error}</div> : <p className="muted">Loading…</p>}</StorageSectionShell>;
  }
  return (
    <StorageSectionShell>
      {error && <div className="banner error" role="alert">Could not refresh: {error}</div>}
      <div className="storage-facts" data-testid="storage-state" data-state={report.state}>
        <span>
          State: {report.state === 'ok' ? 'saving normally' : <strong className="form-error">failing: {report.error ?? 'unknown error'}</strong>}
        </span>
        <span data-testid="storage-dropped">Dropped bodies: {formatCount(report.droppedBodies)}</span>
        {report.usage && <span data-testid="storage-evicted">Evicted by budget: {formatCount(report.usage.evicted)}</span>}
      </div>
      {report.usage ? <UsageView usage={report.usage} sessions={sessions} /> : <p className="muted" data-testid="storage-no-usage">This server does not report usage.</p>}
    </StorageSectionShell>
  );
}

function UsageBar({ label, used, max, text, testId }: { label: string; used: number; max: number; text: string; testId: string }) {
  const f = fraction(used, max);
  const level = f >= 1 ? 'full' : f >= WARN_AT ? 'warn' : 'ok';
  return (
    <>
      <span>{label}</span>
      <div className="storage-bar" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={used} data-level={level}>
        <span style={{ width: `${(f * 100).toFixed(1)}%` }} />
      </div>
      <span data-testid={testId}>{text}</span>
    </>
  );
}

function UsageView({ usage, sessions }: { usage: NonNullable<StorageView['usage']>; sessions: readonly Pick<Session, 'id' | 'name'>[] }) {
  const names = new Map(sessions.map((s) => [s.id, s.name]));
  return (
    <>
      <div className="storage-bars">
        <UsageBar label="Entries" used={usage.entries} max={usage.maxEntries} testId="storage-entries"
          text={`${formatCount(usage.entries)} of ${formatCount(usage.maxEntries)}`} />
        <UsageBar label="On disk" used={usage.bytes} max={usage.maxBytes} testId="storage-bytes"
          text={`${formatBytes(usage.bytes)} of ${formatBytes(usage.maxBytes)}`} />
      </div>
      <table className="storage-table" data-testid="storage-sessions">
        <thead>
          <tr><th>Session</th><th className="num">Entries</th><th className="num">Bytes</th></tr>
        </thead>
        <tbody>
          {usage.sessions.length === 0 && <tr><td colSpan={3} className="muted">No recorded entries.</td></tr>}
          {usage.sessions.map((s) => (
            <tr key={s.sessionId} data-testid="storage-session-row" data-session-id={s.sessionId}>
              <td title={s.sessionId}>{names.get(s.sessionId) ?? s.sessionId}</td>
              <td className="num">{formatCount(s.entries)}</td>
              <td className="num">{formatBytes(s.bytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
