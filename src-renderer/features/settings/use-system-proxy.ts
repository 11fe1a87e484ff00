import { useCallback, useEffect, useState } from 'react';
import type { ProxyChangeResult, SystemProxyStatusResponse } from '../../../src-shared/machine.js';
import { useClient } from '../../api/client-context.js';
import { machineProblem } from './machine-view.js';
import type { MachineProblem } from './machine-view.js';

export type ProxyChange = ProxyChangeResult & { restored?: boolean };

const always = () => true;

/** The OS proxy's state (read when the section opens and after every change) and the on/off switch. */
export function useSystemProxy() {
  const client = useClient();
  const [status, setStatus] = useState<SystemProxyStatusResponse | null>(null);
  const [statusProblem, setStatusProblem] = useState<MachineProblem | null>(null);
  const [problem, setProblem] = useState<MachineProblem | null>(null);
  const [change, setChange] = useState<ProxyChange | null>(null);
  const [busy, setBusy] = useState(false);

  /** State is set only once the status answered (and only while `live()`). */
  const refresh = useCallback((live: () => boolean = always) =>
    client.systemProxyStatus().then(
      (answer) => {
        if (!live()) return;
        setStatus(answer);
        setStatusProblem(null);
      },
      (error: unknown) => {
        if (!live()) return;
        setStatus(null);
        setStatusProblem(machineProblem(error));
      },
    ), [client]);

  useEffect(() => {
    let live = true;
    void refresh(() => live);
    return () => {
      live = false;
    };
  }, [refresh]);

  const toggle = async (on: boolean, sessionId: string) => {
    setBusy(true);
    setProblem(null);
    setChange(null);
    try {
      setChange(on ? await client.systemProxyOn({ sessionId }) : await client.systemProxyOff({}));
    } catch (error) {
      setProblem(machineProblem(error));
    } finally {
      setBusy(false);
      await refresh();
    }
  };

  return { status, statusProblem, problem, change, busy, toggle };
}
