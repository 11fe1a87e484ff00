import { useMemo } from 'react';
import { useClient } from '../../api/client-context.js';
import { describeError } from '../../api/recorder-client.js';
import { useLoad } from '../../components/use-load.js';
import { hexDump } from './hex-dump.js';

/** The body's bytes exactly as they crossed the wire (still content-encoded), as a hex dump, while `shown`. */
export function useRawBytes(sessionId: string, entryId: string, which: 'request' | 'response', shown: boolean) {
  const client = useClient();
  const load = useMemo(() => {
    if (!shown) return null;
    return () => client.readEntryBody({ id: sessionId, entryId, which, decoded: false })
      .then(({ bytes }) => hexDump(bytes));
  }, [client, sessionId, entryId, which, shown]);
  const raw = useLoad(load);
  return {
    dump: raw.status === 'done' ? raw.value : null,
    error: raw.status === 'failed' ? describeError(raw.error) : null,
  };
}
