/** The Settings CA section's state: the CA's status, generate and download, and the OS trust store. */
import { useCallback, useEffect, useState } from 'react';
import type { CaStatusResponse, TrustResult, TrustScope, TrustStatusResponse } from '../../../src-shared/machine.js';
import { useClient } from '../../api/client-context.js';
import { blobOf } from '../../api/recorder-client.js';
import type { RecorderClient } from '../../api/recorder-client.js';
import { saveBlob } from '../../components/save-file.js';
import { machineProblem } from './machine-view.js';
import type { MachineProblem } from './machine-view.js';

export type TrustOp = 'install' | 'uninstall';

/** One action at a time, named, so its button can say what it is doing. */
function useBusy() {
  const [busy, setBusy] = useState<string | null>(null);
  const run = async (what: string, action: () => Promise<void>) => {
    setBusy(what);
    try {
      await action();
    } finally {
      setBusy(null);
    }
  };
  return { busy, run };
}

function useTrust(client: RecorderClient) {
  const [trust, setTrust] = useState<TrustStatusResponse | null>(null);
  const [trustProblem, setTrustProblem] = useState<MachineProblem | null>(null);
  const [scope, setScope] = useState<TrustScope | ''>('');
  const [result, setResult] = useState<TrustResult | null>(null);

  /** State is set only once the trust store answered. */
  const loadTrust = useCallback(() => client.trustStatus().then(setTrust, (error: unknown) => {
    setTrust(null);
    setTrustProblem(machineProblem(error));
  }), [client]);

  const change = async (op: TrustOp, dryRun: boolean) => {
    setResult(null);
    setTrustProblem(null);
    const options = { ...(scope ? { scope } : {}), ...(dryRun ? { dryRun: true } : {}) };
    try {
      const answer = op === 'install' ? await client.trustInstall(options) : await client.trustUninstall(options);
      setResult(answer);
      if (answer.status) setTrust(answer.status);
    } catch (error) {
      setTrustProblem(machineProblem(error));
    }
  };
  return { trust, trustProblem, scope, setScope, result, loadTrust, change };
}

export function useCa() {
  const client = useClient();
  const { busy, run } = useBusy();
  const { loadTrust, change, ...trust } = useTrust(client);
  const [ca, setCa] = useState<CaStatusResponse | null>(null);
  const [caProblem, setCaProblem] = useState<MachineProblem | null>(null);

  useEffect(() => {
    let live = true;
    client.caStatus().then((status) => {
      if (!live) return;
      setCa(status);
      setCaProblem(null);
      if (status.exists) void loadTrust();
    }, (error: unknown) => {
      if (live) setCaProblem(machineProblem(error));
    });
    return () => {
      live = false;
    };
  }, [client, loadTrust]);

  /** Runs `action`; a failure is shown as the CA's problem, a success clears it. */
  const caAction = (what: string, action: () => Promise<void>) => run(what, async () => {
    try {
      await action();
      setCaProblem(null);
    } catch (error) {
      setCaProblem(machineProblem(error));
    }
  });

  const generate = () => caAction('generate', async () => {
    const { ca: created } = await client.caGenerate();
    setCa(created);
    setCaProblem(null);
    await loadTrust();
  });
  const download = () => caAction('download', async () => {
    saveBlob('traffic-recorder-ca.pem', blobOf(await client.caDownload()));
  });
  const changeTrust = (op: TrustOp, dryRun: boolean) => run(dryRun ? 'dry-run' : op, () => change(op, dryRun));

  return { ca, caProblem, busy, generate, download, changeTrust, ...trust };
}

export type CaState = ReturnType<typeof useCa>;
