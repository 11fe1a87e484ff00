import type { StorageStatus } from '../../src-shared/model.js';
import { usageWarning, warningShown } from '../features/storage/storage-view.js';
import type { UsageWarning } from '../features/storage/storage-view.js';
import { useSessionsStore } from '../stores/sessions-store.js';
import { useStorageStore } from '../stores/storage-store.js';

/** The store is shared by every session: the selected one's status, else any session's, is the server's. */
export function failingStorage(sessions: readonly { id: string; storage?: StorageStatus }[], selectedId: string | null): StorageStatus | undefined {
  const selected = sessions.find((s) => s.id === selectedId)?.storage;
  if (selected) return selected.state === 'failing' ? selected : undefined;
  return sessions.map((s) => s.storage).find((s) => s?.state === 'failing');
}

/**
 * A recorder that quietly stops saving is the worst failure it can have: while the disk refuses writes, say so
 * above everything, with what is still true (traffic flows, entries are kept) and what is not (bodies dropped).
 */
export function StorageBanner() {
  const fromSessions = useSessionsStore((s) => failingStorage(s.sessions, s.selectedId));
  // With no session yet, only the storage report can tell.
  const fromReport = useStorageStore((s) => (s.report?.state === 'failing' ? s.report : undefined));
  const storage = fromSessions ?? fromReport;
  return (
    <>
      {storage && <StorageBannerView storage={storage} />}
      <StorageUsageBanner />
    </>
  );
}

/** Before the store fills: how full, what will be evicted, how to avoid it. Dismissed, it returns at the next step. */
function StorageUsageBanner() {
  const usage = useStorageStore((s) => s.report?.usage);
  const dismissed = useStorageStore((s) => s.warningDismissedLevel);
  const warning = usageWarning(usage);
  if (!warning || !warningShown(warning, dismissed)) return null;
  return <StorageUsageWarningView warning={warning} onDismiss={() => useStorageStore.getState().dismissWarning()} />;
}

export function StorageUsageWarningView({ warning, onDismiss }: { warning: UsageWarning; onDismiss: () => void }) {
  return (
    <div className="banner warn storage-usage-banner" role="status" data-testid="storage-usage-banner" data-percent={warning.percent}
      style={{ flex: 'none', display: 'flex', alignItems: 'center', gap: 8, borderRadius: 0, padding: '6px 12px' }}>
      <span style={{ flex: 1 }}>{warning.text}</span>
      <button type="button" className="icon-button" aria-label="Dismiss the storage warning" data-testid="storage-usage-dismiss" onClick={onDismiss}>×</button>
    </div>
  );
}

export function StorageBannerView({ storage }: { storage: StorageStatus }) {
  const dropped = storage.droppedBodies > 0 ? ` ${storage.droppedBodies} bod${storage.droppedBodies === 1 ? 'y was' : 'ies were'} not saved.` : '';
  return (
    <div className="form-error storage-banner" role="alert" data-testid="storage-banner" data-state={storage.state}
      style={{ flex: 'none', padding: '6px 12px', borderBottom: '1px solid currentColor' }}>
      <strong>Storage is failing</strong> since {new Date(storage.since).toLocaleTimeString()}: {storage.error ?? 'unknown error'}.
      {' '}Traffic is still forwarded and entries are recorded; saving resumes when the disk accepts writes again.{dropped}
    </div>
  );
}
