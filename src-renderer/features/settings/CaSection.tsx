import { useCallback, useEffect, useState } from 'react';
import type { CaStatusResponse, TrustResult, TrustScope, TrustStatusResponse } from '../../../src-shared/machine.js';
import { useClient } from '../../api/client-context.js';
import { saveTextFile } from '../../components/save-file.js';
import { formatFingerprint, formatValidity, machineProblem, trustCommandLines, trustResultSummary, trustStatusSummary } from './machine-view.js';
import type { MachineProblem } from './machine-view.js';

function Problem({ problem, testId }: { problem: MachineProblem | null; testId: string }) {
  if (!problem) return null;
  return (
    <div className="banner error" role="alert" data-testid={testId} data-kind={problem.kind}>
      {problem.text}
    </div>
  );
}

/** The install CA: status, generate, download, and the OS trust store (install / uninstall / dry run). */
export function CaSection() {
  const client = useClient();
  const [ca, setCa] = useState<CaStatusResponse | null>(null);
  const [caProblem, setCaProblem] = useState<MachineProblem | null>(null);
  const [trust, setTrust] = useState<TrustStatusResponse | null>(null);
  const [trustProblem, setTrustProblem] = useState<MachineProblem | null>(null);
  const [scope, setScope] = useState<TrustScope | ''>('');
  const [result, setResult] = useState<TrustResult | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const loadTrust = useCallback(async () => {
    try {
      setTrust(await client.trustStatus());
    } catch (error) {
      setTrust(null);
      setTrustProblem(machineProblem(error));
    }
  }, [client]);

  const load = useCallback(async () => {
    try {
      const status = await client.caStatus();
      setCa(status);
      setCaProblem(null);
      if (status.exists) await loadTrust();
    } catch (error) {
      setCaProblem(machineProblem(error));
    }
  }, [client, loadTrust]);

  useEffect(() => {
    void load();
  }, [load]);

  const run = async (what: string, action: () => Promise<void>) => {
    setBusy(what);
    try {
      await action();
    } finally {
      setBusy(null);
    }
  };

  const generate = () =>
    run('generate', async () => {
      try {
        const { ca: created } = await client.caGenerate();
        setCa(created);
        setCaProblem(null);
        await loadTrust();
      } catch (error) {
        setCaProblem(machineProblem(error));
      }
    });

  const download = () =>
    run('download', async () => {
      try {
        saveTextFile('traffic-recorder-ca.pem', await client.caDownload(), 'application/x-pem-file');
        setCaProblem(null);
      } catch (error) {
        setCaProblem(machineProblem(error));
      }
    });

  const change = (op: 'install' | 'uninstall', dryRun: boolean) =>
    run(dryRun ? 'dry-run' : op, async () => {
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
    });

  const lines = result ? trustCommandLines(result) : [];

  return (
    <section className="settings-section" data-testid="settings-ca">
      <h3>HTTPS certificate authority</h3>
      <p className="field-hint">
        Forward sessions with “Decrypt HTTPS” sign a certificate per host with this CA. Clients must trust it: install it into the
        OS trust store, or hand the PEM to the app (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, curl --cacert).
      </p>
      <Problem problem={caProblem} testId="ca-error" />
      {ca === null && !caProblem && <div className="muted">Loading…</div>}
      {ca && !ca.exists && (
        <div className="ca-status" data-testid="ca-status" data-state="missing">
          <span>No CA yet. It is created on first use, or now:</span>
        </div>
      )}
      {ca?.exists && (
        <dl className="ca-status kv" data-testid="ca-status" data-state="exists">
          <dt>Subject</dt>
          <dd data-testid="ca-subject">{ca.subject}</dd>
          <dt>Valid</dt>
          <dd data-testid="ca-validity" className={ca.expired ? 'warn' : undefined}>{formatValidity(ca)}</dd>
          <dt>SHA-256</dt>
          <dd className="mono fingerprint" data-testid="ca-fingerprint" data-sha256={ca.sha256}>{formatFingerprint(ca.sha256)}</dd>
          <dt>File</dt>
          <dd className="mono" data-testid="ca-path">{ca.certPath}</dd>
        </dl>
      )}
      <div className="settings-actions">
        <button type="button" className={ca && !ca.exists ? 'primary' : undefined} data-testid="ca-generate" disabled={busy !== null || ca?.exists === true} onClick={() => void generate()}>
          {busy === 'generate' ? 'Generating…' : ca?.exists ? 'Generated' : 'Generate CA'}
        </button>
        <button type="button" data-testid="ca-download" disabled={busy !== null || !ca?.exists} onClick={() => void download()}>
          Download PEM
        </button>
      </div>

      {ca?.exists && (
        <div className="trust" data-testid="trust-section">
          <h3>OS trust store</h3>
          <div className="trust-status" data-testid="trust-status" data-installed={trust ? String(trust.installed) : 'unknown'}>
            {trust ? trustStatusSummary(trust) : trustProblem ? 'Trust status unknown' : 'Checking…'}
          </div>
          {trust && trust.targets.length > 0 && (
            <ul className="trust-targets small-text" data-testid="trust-targets">
              {trust.targets.map((t) => (
                <li key={t.target}>
                  <span className="mono">{t.target}</span> ({t.scope}): {t.installed === null ? 'cannot tell' : t.installed ? 'installed' : 'not installed'}
                  {t.detail ? <span className="muted"> — {t.detail}</span> : null}
                </li>
              ))}
            </ul>
          )}
          <div className="settings-actions">
            <label htmlFor="trust-scope">Scope</label>
            <select id="trust-scope" data-testid="trust-scope" value={scope} onChange={(e) => setScope(e.target.value as TrustScope | '')}>
              <option value="">default</option>
              <option value="user">user</option>
              <option value="system">system</option>
              <option value="all">all</option>
            </select>
            <button type="button" data-testid="trust-dry-run" disabled={busy !== null} onClick={() => void change('install', true)}>
              {busy === 'dry-run' ? 'Planning…' : 'Dry run'}
            </button>
            <button type="button" className="primary" data-testid="trust-install" disabled={busy !== null} onClick={() => void change('install', false)}>
              {busy === 'install' ? 'Installing…' : 'Install into trust store'}
            </button>
            <button type="button" data-testid="trust-uninstall" disabled={busy !== null} onClick={() => void change('uninstall', false)}>
              {busy === 'uninstall' ? 'Removing…' : 'Uninstall'}
            </button>
          </div>
          <Problem problem={trustProblem} testId="trust-error" />
          {result && (
            <div className="trust-result" data-testid="trust-result" data-dry-run={String(result.dryRun)} data-op={result.op}>
              <div>{trustResultSummary(result)}</div>
              {lines.length > 0 && (
                <pre className="copyable trust-commands" data-testid="trust-commands">
                  {lines.map((l, i) => (
                    <div key={i} data-testid="trust-command" title={l.target}>{l.line}</div>
                  ))}
                </pre>
              )}
              {result.skipped.length > 0 && (
                <ul className="small-text muted" data-testid="trust-skipped">
                  {result.skipped.map((s) => <li key={s.target}>Skipped {s.target}: {s.reason}</li>)}
                </ul>
              )}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
