import type { CaStatusResponse } from '../../../src-shared/machine.js';
import { formatFingerprint, formatValidity } from './machine-view.js';
import { ProblemBanner } from './ProblemBanner.js';
import { TrustSection } from './TrustSection.js';
import { useCa } from './use-ca.js';

/** The install CA: status, generate, download, and the OS trust store (install / uninstall / dry run). */
export function CaSection() {
  const state = useCa();
  const { ca, caProblem, busy, generate, download } = state;
  return (
    <section className="settings-section" data-testid="settings-ca">
      <h3>HTTPS certificate authority</h3>
      <p className="field-hint">
        Forward sessions with “Decrypt HTTPS” sign a certificate per host with this CA. Clients must trust it: install it into the
        OS trust store, or hand the PEM to the app (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, curl --cacert).
      </p>
      <ProblemBanner problem={caProblem} testId="ca-error" />
      {ca === null && !caProblem && <div className="muted">Loading…</div>}
      {ca && <CaStatus ca={ca} />}
      <div className="settings-actions">
        <button type="button" className={ca && !ca.exists ? 'primary' : undefined} data-testid="ca-generate" disabled={busy !== null || ca?.exists === true} onClick={() => void generate()}>
          {busy === 'generate' ? 'Generating…' : ca?.exists ? 'Generated' : 'Generate CA'}
        </button>
        <button type="button" data-testid="ca-download" disabled={busy !== null || !ca?.exists} onClick={() => void download()}>
          Download PEM
        </button>
      </div>
      {ca?.exists && <TrustSection state={state} />}
    </section>
  );
}

function CaStatus({ ca }: { ca: CaStatusResponse }) {
  if (!ca.exists) {
    return (
      <div className="ca-status" data-testid="ca-status" data-state="missing">
        <span>No CA yet. It is created on first use, or now:</span>
      </div>
    );
  }
  return (
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
  );
}
