import type { SessionForm } from './session-form.js';

interface HttpsOptionsProps {
  form: SessionForm;
  update: (patch: Partial<SessionForm>) => void;
  mitmError: string | null;
  serverMitmError: string | null;
}

/** MITM (forward sessions only) with its host lists, and accepting self-signed upstreams (both modes). */
export function HttpsOptions({ form, update, mitmError, serverMitmError }: HttpsOptionsProps) {
  return (
    <div className="https-options">
      {form.mode === 'forward' && (
        <>
          <label className="checkbox">
            <input type="checkbox" data-testid="new-session-mitm" checked={form.mitm} onChange={(e) => update({ mitm: e.target.checked })} />
            Decrypt HTTPS (MITM)
          </label>
          {form.mitm && <MitmHosts form={form} update={update} mitmError={mitmError} serverMitmError={serverMitmError} />}
        </>
      )}
      <label className="checkbox">
        <input
          type="checkbox"
          data-testid="new-session-ignore-cert"
          checked={form.ignoreUpstreamCertErrors}
          onChange={(e) => update({ ignoreUpstreamCertErrors: e.target.checked })}
        />
        Accept self-signed upstream certificates
      </label>
    </div>
  );
}

const HOST_LISTS = [
  { key: 'mitmIncludeHosts', testId: 'new-session-mitm-include', label: 'Decrypt only these hosts', placeholder: 'decrypt only these hosts (optional), e.g. api.example.com, *.test' },
  { key: 'mitmExcludeHosts', testId: 'new-session-mitm-exclude', label: 'Pass these hosts through undecrypted', placeholder: '…or pass these hosts through undecrypted (optional)' },
] as const;

function MitmHosts({ form, update, mitmError, serverMitmError }: HttpsOptionsProps) {
  return (
    <div className="mitm-hosts">
      {HOST_LISTS.map(({ key, testId, label, placeholder }) => (
        <input key={key} data-testid={testId} aria-label={label} placeholder={placeholder} value={form[key]} onChange={(e) => update({ [key]: e.target.value })} />
      ))}
      {mitmError && <div className="field-error" data-testid="new-session-mitm-error">{mitmError}</div>}
      {serverMitmError && <div className="field-error">{serverMitmError}</div>}
      <div className="field-hint">Clients must trust the Traffic Recorder CA (Settings ⚙) or get its file (the connect panel shows how).</div>
    </div>
  );
}
