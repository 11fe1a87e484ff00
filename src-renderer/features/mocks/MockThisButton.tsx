import { useState } from 'react';
import type { Entry, Session } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { describeError } from '../../api/recorder-client.js';
import { useMocksViewStore } from '../../stores/mocks-view-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { mockFromEntry } from './mock-from-entry.js';

/** "Mock this response": a mock made from the entry (method, path, status, headers, body), opened for editing. */
export function MockThisButton({ entry, session }: { entry: Entry; session: Session | undefined }) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  if (entry.entryType !== 'http' || !entry.response) return null;
  const create = async () => {
    setBusy(true);
    try {
      const body = entry.response && entry.response.body.capturedSize > 0
        ? (await client.readEntryBody({ id: entry.sessionId, entryId: entry.id, which: 'response', decoded: true })).bytes
        : null;
      const { mock } = await client.saveMock(mockFromEntry(entry, body, session?.namespace ?? 'default'));
      const cut = entry.response?.body.truncated ? ' (the recorded body was cut at the capture limit)' : '';
      useUiStore.getState().toast('info', `Mock ${mock.id} created from this response${cut}`);
      useMocksViewStore.getState().show(mock.id);
    } catch (e) {
      useUiStore.getState().toast('error', `Could not make a mock of this response: ${describeError(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" className="small" data-testid="mock-this-response" disabled={busy} title="Make a local mock answering this method and path with this response" onClick={() => void create()}>
      Mock this response
    </button>
  );
}
