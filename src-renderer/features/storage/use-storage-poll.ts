/** The usage warning must appear before the store fills, with or without the Settings dialog open: poll cheaply. */
import { useEffect } from 'react';
import { useClient } from '../../api/client-context.js';
import { describeError, isUnauthorized } from '../../api/recorder-client.js';
import type { RecorderClient } from '../../api/recorder-client.js';
import { useStorageStore } from '../../stores/storage-store.js';

export async function refreshStorage(client: RecorderClient): Promise<void> {
  try {
    const { storage } = await client.storage();
    useStorageStore.getState().setReport(storage);
  } catch (error) {
    if (!isUnauthorized(error)) useStorageStore.getState().setError(describeError(error));
  }
}

export function useStoragePoll(intervalMs = 5000): void {
  const client = useClient();
  useEffect(() => {
    void refreshStorage(client);
    const timer = setInterval(() => void refreshStorage(client), intervalMs);
    return () => clearInterval(timer);
  }, [client, intervalMs]);
}
