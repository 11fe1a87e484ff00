import { useStorageStore } from '../../stores/storage-store.js';
import { evictionNoticeText } from './storage-view.js';
import type { EvictionNotice as Notice } from './storage-view.js';
import type { StorageUsage } from '../../../src-shared/model.js';
import './storage.css';

/** Rows vanishing from the top of the table need a reason: one line, summed, over the table, never in the way. */
export function EvictionNotice({ sessionId }: { sessionId: string | null }) {
  const notice = useStorageStore((s) => (s.notice?.sessionId === sessionId ? s.notice : null));
  const usage = useStorageStore((s) => s.report?.usage);
  return notice ? <EvictionNoticeView notice={notice} usage={usage} onDismiss={() => useStorageStore.getState().dismissNotice()} /> : null;
}

export function EvictionNoticeView({ notice, usage, onDismiss }: { notice: Notice; usage?: StorageUsage; onDismiss: () => void }) {
  return (
    <div className="eviction-notice" role="status" aria-live="polite" data-testid="eviction-notice">
      <span data-testid="eviction-notice-text">{evictionNoticeText(notice, usage)}</span>
      <button type="button" className="icon-button" aria-label="Dismiss the eviction notice" data-testid="eviction-notice-dismiss" onClick={onDismiss}>×</button>
    </div>
  );
}
