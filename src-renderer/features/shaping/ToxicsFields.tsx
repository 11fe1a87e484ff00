import { FieldError, KeptNotice } from './FieldError.js';
import type { Problems } from './field-problems.js';
import { EMPTY_TOXICS, MATCH_FIELDS, TOXIC_FIELDS, type MatchField, type ToxicField, type ToxicsForm } from './toxics-form.js';

const LABELS: Record<ToxicField, { label: string; hint: string }> = {
  delayMs: { label: 'Delay', hint: 'ms before going upstream' },
  delayJitter: { label: 'Jitter', hint: '± ms on top of the delay' },
  errorRate: { label: 'Error rate', hint: '0 to 1, answered by the proxy' },
  errorStatus: { label: 'Error status', hint: '400-599, default 503' },
  bandwidthKBps: { label: 'Bandwidth', hint: 'KB/s of response body' },
  slowReadKBps: { label: 'Slow read', hint: 'KB/s of request body' },
  failFirst: { label: 'Fail first', hint: 'N requests get the error' },
  resetRate: { label: 'Reset rate', hint: '0 to 1, connection reset' },
  timeoutRate: { label: 'Timeout rate', hint: '0 to 1, never answered' },
  seed: { label: 'Seed', hint: 'same seed, same draws' },
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
  if (value.kept !== undefined) return <KeptNotice what="toxics" testId="toxics" onReplace={() => onChange(EMPTY_TOXICS)} />;
  const setValue = (field: ToxicField, text: string) => onChange({ ...value, values: { ...value.values, [field]: text } });
  const setMatch = (field: MatchField, text: string) => onChange({ ...value, match: { ...value.match, [field]: text } });
  return (
    <div className="toxics-form" data-testid="toxics-form">
      <div className="toxics-grid">
        {TOXIC_FIELDS.map((field) => (
          <TextField key={field} id={`toxics-${field}`} label={LABELS[field].label} hint={LABELS[field].hint} value={value.values[field]}
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
