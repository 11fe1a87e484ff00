import type { ReactNode } from 'react';
import { FieldError, KeptNotice } from './FieldError.js';
import type { Problems } from './field-problems.js';
import { EMPTY_MODIFICATIONS, moveItem, NEW_ROW, type BodyRow, type HeaderRow, type ModificationsForm, type RuleList, type UrlRow } from './modifications-form.js';

const TITLES: Record<RuleList, string> = {
  requestHeaders: 'Request headers (sent upstream)',
  responseHeaders: 'Response headers (received by the app)',
  urlRewrites: 'URL rewrites (RE2 regex on path and query, $1 for groups)',
  bodyReplacements: 'Response body replacements',
};

interface ModificationsFieldsProps {
  value: ModificationsForm;
  onChange: (next: ModificationsForm) => void;
  problems: Problems;
}

/** The modification rules, list by list, in the order they apply: the new-session dialog and live editing. */
export function ModificationsFields({ value, onChange, problems }: ModificationsFieldsProps) {
  if (value.kept !== undefined) return <KeptNotice what="modification rules" testId="rules" problems={problems} path="modifications" onReplace={() => onChange(EMPTY_MODIFICATIONS)} />;
  const rowsOf = <L extends RuleList>(list: L) => ({
    rows: value[list],
    setRows: (rows: ModificationsForm[L]) => onChange({ ...value, [list]: rows }),
  });
  return (
    <div className="rules-form" data-testid="rules-form">
      <RuleRows list="requestHeaders" {...rowsOf('requestHeaders')} render={(row, set, at) => <HeaderFields row={row} set={set} at={at} problems={problems} />} />
      <RuleRows list="responseHeaders" {...rowsOf('responseHeaders')} render={(row, set, at) => <HeaderFields row={row} set={set} at={at} problems={problems} />} />
      <RuleRows list="urlRewrites" {...rowsOf('urlRewrites')} render={(row, set, at) => <UrlFields row={row} set={set} at={at} problems={problems} />} />
      <RuleRows list="bodyReplacements" {...rowsOf('bodyReplacements')} render={(row, set, at) => <BodyFields row={row} set={set} at={at} problems={problems} />} />
    </div>
  );
}

interface RuleRowsProps<T> {
  list: RuleList;
  rows: T[];
  setRows: (rows: T[]) => void;
  render: (row: T, set: (patch: Partial<T>) => void, at: string) => ReactNode;
}

function RuleRows<T>({ list, rows, setRows, render }: RuleRowsProps<T>) {
  const add = () => setRows([...rows, NEW_ROW[list]() as T]);
  return (
    <section className="rule-list" data-testid={`rules-${list}`}>
      <h3>{TITLES[list]}</h3>
      {rows.map((row, index) => {
        const at = `rules-${list}-${index}`;
        const set = (patch: Partial<T>) => setRows(rows.map((r, i) => (i === index ? { ...r, ...patch } : r)));
        return (
          // A rule has no identity but its place: the order is what it means.
          <div key={index} className="rule-row" data-testid={at}>
            <span className="rule-index">{index + 1}</span>
            {render(row, set, at)}
            <span className="rule-buttons">
              <button type="button" className="small" aria-label="Move up" data-testid={`${at}-up`} disabled={index === 0} onClick={() => setRows(moveItem(rows, index, index - 1))}>↑</button>
              <button type="button" className="small" aria-label="Move down" data-testid={`${at}-down`} disabled={index === rows.length - 1} onClick={() => setRows(moveItem(rows, index, index + 1))}>↓</button>
              <button type="button" className="small danger-text" aria-label="Remove rule" data-testid={`${at}-remove`} onClick={() => setRows(rows.filter((_, i) => i !== index))}>✕</button>
            </span>
          </div>
        );
      })}
      <button type="button" className="small" data-testid={`rules-${list}-add`} onClick={add}>+ Add rule</button>
    </section>
  );
}

interface FieldsProps<T> {
  row: T;
  set: (patch: Partial<T>) => void;
  /** The row's test id; its fields' paths come from it (rules-urlRewrites-0 → modifications.urlRewrites.0). */
  at: string;
  problems: Problems;
}

function pathOf(at: string, field: string): string {
  const [, list, index] = at.split('-');
  return `modifications.${list}.${index}.${field}`;
}

function Text({ at, field, value, onChange, problems, placeholder, disabled }: { at: string; field: string; value: string; onChange: (v: string) => void; problems: Problems; placeholder: string; disabled?: boolean }) {
  const path = pathOf(at, field);
  return (
    <span className="rule-field">
      <input data-testid={`${at}-${field}`} aria-label={field} placeholder={placeholder} value={value} disabled={disabled}
        aria-invalid={Boolean(problems[path])} onChange={(e) => onChange(e.target.value)} />
      <FieldError problems={problems} path={path} testId={`${at}-${field}`} />
    </span>
  );
}

function HeaderFields({ row, set, at, problems }: FieldsProps<HeaderRow>) {
  const known = ['add', 'replace', 'remove'];
  return (
    <>
      <span className="rule-field rule-action">
        <select data-testid={`${at}-action`} aria-label="action" value={row.action} onChange={(e) => set({ action: e.target.value })}>
          {!known.includes(row.action) && <option value={row.action}>{row.action || '(none)'}</option>}
          {known.map((a) => <option key={a} value={a}>{a}</option>)}
        </select>
        <FieldError problems={problems} path={pathOf(at, 'action')} testId={`${at}-action`} />
      </span>
      <Text at={at} field="name" value={row.name} onChange={(name) => set({ name })} problems={problems} placeholder="Header-Name" />
      <Text at={at} field="value" value={row.action === 'remove' ? '' : row.value} onChange={(value) => set({ value })} problems={problems}
        placeholder={row.action === 'remove' ? 'no value: removed' : 'value'} disabled={row.action === 'remove'} />
    </>
  );
}

function UrlFields({ row, set, at, problems }: FieldsProps<UrlRow>) {
  return (
    <>
      <Text at={at} field="match" value={row.match} onChange={(match) => set({ match })} problems={problems} placeholder="/api/v1/(.*)" />
      <Text at={at} field="replace" value={row.replace} onChange={(replace) => set({ replace })} problems={problems} placeholder="/api/v2/$1" />
    </>
  );
}

function BodyFields({ row, set, at, problems }: FieldsProps<BodyRow>) {
  return (
    <>
      <Text at={at} field="match" value={row.match} onChange={(match) => set({ match })} problems={problems} placeholder={row.isRegex ? 'RE2 regex' : 'text'} />
      <Text at={at} field="replace" value={row.replace} onChange={(replace) => set({ replace })} problems={problems} placeholder="replacement" />
      <label className="checkbox rule-regex">
        <input type="checkbox" data-testid={`${at}-isRegex`} checked={row.isRegex} onChange={(e) => set({ isRegex: e.target.checked })} />
        regex
      </label>
    </>
  );
}
