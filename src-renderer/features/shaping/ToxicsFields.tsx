import { FieldError, KeptNotice } from './FieldError.js';
import type { Problems } from './field-problems.js';
import { EMPTY_TOXICS, MATCH_FIELDS, TOXIC_FIELDS, type MatchField, type ToxicField, type ToxicsForm } from './toxics-form.js';

const LABELS: Record<ToxicField, { label: string; hint: string; placeholder?: string }> = {
  delayMs: { label: 'Delay (ms)', hint: 'Fixed latency before the request goes upstream' },
  delayJitter: { label: 'Jitter (± ms)', hint: 'Uniform random jitter on top of the delay' },
  errorRate: { label: 'Error rate (0–1)', hint: 'Share of requests answered with the error status by the proxy' },
  errorStatus: { label: 'Error status', hint: 'Status of injected errors, 400-599', placeholder: '503' },
  bandwidthKBps: { label: 'Bandwidth (KB/s)', hint: 'Response body throughput, streamed' },
  slowReadKBps: { label: 'Slow read (KB/s)', hint: 'Request body read speed, streamed' },
  failFirst: { label: 'Fail first (N)', hint: 'The first N matching requests get the error status' },
  resetRate: { label: 'Reset rate (0–1)', hint: 'Share of requests whose connection is reset, unanswered' },
  timeoutRate: { label: 'Timeout rate (0–1)', hint: 'Share of requests held until the client gives up' },
  seed: { label: 'Seed', hint: 'The same seed gives the same random draws' },
};

const MATCH_LABELS: Record<MatchField, { label: string; placeholder: string }> = {
  method: { label: 'Methods', placeholder: 'any (GET, POST…)' },
  path: { label: 'Paths', placeholder: 'any (/api/*)' },
  host: { label: 'Hosts', placeholder: 'any (*.example.com)' },
};

interface ToxicsFieldsProps {
  value: ToxicsForm;
  onChange: (next: ToxicsForm) => void;
  problems: Problems;
}

/** The http toxics of a session (one set, optionally scoped by match): the new-session dialog and live editing. */
export function ToxicsFields({ value, onChange, problems }: ToxicsFieldsProps) {
  if (value.kept !== undefined) return <KeptNotice what="toxics" testId="toxics" problems={problems} path="toxics" onReplace={() => onChange(EMPTY_TOXICS)} />;
  const setValue = (field: ToxicField, text: string) => onChange({ ...value, values: { ...value.values, [field]: text } });
  const setMatch = (field: MatchField, text: string) => onChange({ ...value, match: { ...value.match, [field]: text } });
  return (
    <div className="toxics-form" data-testid="toxics-form">
      <div className="toxics-grid">
        {TOXIC_FIELDS.map((field) => (
          <TextField key={field} id={`toxics-${field}`} label={LABELS[field].label} hint={LABELS[field].hint} placeholder={LABELS[field].placeholder ?? ''} value={value.values[field]}
            onChange={(text) => setValue(field, text)} problems={problems} path={`toxics.http.${field}`} numeric />
        ))}
      </div>
      <h3>Only for requests matching (all empty: every request)</h3>
      <div className="toxics-grid">
        {MATCH_FIELDS.map((field) => (
          <TextField key={field} id={`toxics-match-${field}`} label={MATCH_LABELS[field].label} placeholder={MATCH_LABELS[field].placeholder}
            value={value.match[field]} onChange={(text) => setMatch(field, text)} problems={problems} path={`toxics.http.match.${field}`} />
        ))}
      </div>
    </div>
  );
}

interface TextFieldProps {
  id: string;
  label: string;
  hint?: string;
  placeholder?: string;
  value: string;
  onChange: (text: string) => void;
  problems: Problems;
  path: string;
  numeric?: boolean;
}

function TextField({ id, label, hint, placeholder, value, onChange, problems, path, numeric }: TextFieldProps) {
  const invalid = Object.keys(problems).some((p) => p === path || p.startsWith(`${path}.`));
  return (
    <div className="toxic-field">
      <label htmlFor={id}>{label}</label>
      <input id={id} data-testid={id} inputMode={numeric ? 'decimal' : undefined} placeholder={placeholder ?? hint} title={hint}
        value={value} aria-invalid={invalid} onChange={(e) => onChange(e.target.value)} />
      <FieldError problems={problems} path={path} testId={id} />
    </div>
  );
}
