import type { StorageStatus } from '../../src-shared/model.js';
import { useSessionsStore } from '../stores/sessions-store.js';

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
  const storage = useSessionsStore((s) => failingStorage(s.sessions, s.selectedId));
  return storage ? <StorageBannerView storage={storage} /> : null;
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
