import { useMemo } from 'react';
import { useClient } from '../../api/client-context.js';
import { describeError } from '../../api/recorder-client.js';
import { delay } from '../../components/load-state.js';
import { useLoad } from '../../components/use-load.js';
import { portState } from './port-conflict.js';
import type { PortState } from './port-conflict.js';
import { validatePort } from './session-form.js';

/** Whether the typed port is free, asked once typing pauses (250 ms); blank or invalid asks nothing. */
export function usePortCheck(port: string): PortState {
  const client = useClient();
  const load = useMemo(() => {
    if (!port.trim() || validatePort(port)) return null;
    return async (signal: AbortSignal) => {
      await delay(250, signal);
      return client.portCheck({ port: Number(port) });
    };
  }, [client, port]);
  return portState(useLoad(load), describeError);
}
