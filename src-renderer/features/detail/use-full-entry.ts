import { useMemo, useState } from 'react';
import type { Entry } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { describeError } from '../../api/recorder-client.js';
import { delay } from '../../components/load-state.js';
import { useLoad } from '../../components/use-load.js';
import type { LoadFn } from '../../components/use-load.js';

/** The full entry (bodies included) of the selected row; `replace` shows the server's answer to an edit. */
export function useFullEntry(sessionId: string | null, entryId: string | null) {
  const client = useClient();
  const load = useMemo<LoadFn<Entry> | null>(() => {
    if (!sessionId || !entryId) return null;
    return async (signal) => {
      // Arrow keys move fast through rows: only fetch the body of the row the user stops on.
      await delay(80, signal);
      return (await client.getEntry({ id: sessionId, entryId })).entry;
    };
  }, [client, sessionId, entryId]);
  const loaded = useLoad(load);
  // An edit's answer counts only for the entry it was made on: tagged with that entry's load.
  const [edited, setEdited] = useState<{ load: LoadFn<Entry>; entry: Entry } | null>(null);
  const replace = (entry: Entry) => {
    if (load) setEdited({ load, entry });
  };
  const entry = edited && edited.load === load ? edited.entry : loaded.status === 'done' ? loaded.value : null;
  const error = loaded.status === 'failed' ? describeError(loaded.error) : null;
  return { entry, error, loading: loaded.status === 'loading', replace };
}
