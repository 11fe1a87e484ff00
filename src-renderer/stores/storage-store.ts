/** The store's usage as last polled, the eviction notice of the open session, and what the user dismissed. */
import { create } from 'zustand';
import type { EvictionEvent } from '../../src-shared/model.js';
import { addEvictions, usageWarning } from '../features/storage/storage-view.js';
import type { EvictionNotice, StorageView } from '../features/storage/storage-view.js';

export interface StorageState {
  report: StorageView | null;
  /** Why the last poll failed; the last good report stays shown. */
  error: string | null;
  /** The warning step the user dismissed; null when nothing is dismissed. */
  warningDismissedLevel: number | null;
  notice: EvictionNotice | null;
  setReport: (report: StorageView) => void;
  setError: (error: string | null) => void;
  dismissWarning: () => void;
  evicted: (events: readonly EvictionEvent[], openSessionId: string | null) => void;
  dismissNotice: () => void;
}

export const useStorageStore = create<StorageState>()((set, get) => ({
  report: null,
  error: null,
  warningDismissedLevel: null,
  notice: null,
  setReport(report) {
    // Once usage falls below the warning, a later rise is news again.
    const stillWarned = usageWarning(report.usage) !== undefined;
    set({ report, error: null, ...(stillWarned ? {} : { warningDismissedLevel: null }) });
  },
  setError(error) {
    set({ error });
  },
  dismissWarning() {
    const warning = usageWarning(get().report?.usage);
    if (warning) set({ warningDismissedLevel: warning.level });
  },
  evicted(events, openSessionId) {
    const current = get().notice;
    const next = addEvictions(current?.sessionId === openSessionId ? current : null, events, openSessionId);
    if (next !== current) set({ notice: next });
  },
  dismissNotice() {
    set({ notice: null });
  },
}));
