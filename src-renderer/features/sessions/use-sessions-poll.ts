/** Entry counts and status of sessions other than the open one change without a stream: poll cheaply. */
import { useEffect } from 'react';
import { useClient } from '../../api/client-context.js';
import { describeError, isUnauthorized } from '../../api/recorder-client.js';
import { useSessionsStore } from '../../stores/sessions-store.js';

export function useSessionsPoll(intervalMs = 3000): void {
  const client = useClient();
  useEffect(() => {
    let stopped = false;
    const tick = async () => {
      try {
        const { sessions } = await client.listSessions();
        if (!stopped) useSessionsStore.getState().setSessions(sessions);
      } catch (error) {
        if (!stopped && !isUnauthorized(error)) useSessionsStore.getState().setError(describeError(error));
      }
    };
    const timer = setInterval(() => void tick(), intervalMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [client, intervalMs]);
}
