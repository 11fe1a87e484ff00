import { FieldError, KeptNotice } from './FieldError.js';
import type { Problems } from './field-problems.js';
import { EMPTY_FILTERS, FILTER_LISTS, type FilterList, type FiltersForm } from './filters-form.js';

const LABELS: Record<FilterList, { label: string; placeholder: string }> = {
  includeHosts: { label: 'Only hosts', placeholder: 'api.example.com, *.internal' },
  excludeHosts: { label: 'Not hosts', placeholder: 'telemetry.example.com' },
  includePaths: { label: 'Only paths', placeholder: '/api/*' },
  excludePaths: { label: 'Not paths', placeholder: '/health, *.png' },
  includeMethods: { label: 'Only methods', placeholder: 'GET, POST' },
  excludeStatus: { label: 'Not statuses', placeholder: '304, 404' },
};

/** The scope filters: which requests are recorded (everything is still forwarded). */
export function FiltersFields({ value, onChange, problems }: { value: FiltersForm; onChange: (next: FiltersForm) => void; problems: Problems }) {
  if (value.kept !== undefined) return <KeptNotice what="filters" testId="filters" problems={problems} path="filters" onReplace={() => onChange(EMPTY_FILTERS)} />;
  return (
    <div className="form-grid" data-testid="filters-form">
      <p className="field-hint span-2">Which requests are recorded; everything is still forwarded. Items are separated by commas or spaces; * matches any run of characters.</p>
      {FILTER_LISTS.map((list) => (
        <FilterRow key={list} list={list} value={value[list]} onChange={(text) => onChange({ ...value, [list]: text })} problems={problems} />
      ))}
    </div>
  );
}

function FilterRow({ list, value, onChange, problems }: { list: FilterList; value: string; onChange: (text: string) => void; problems: Problems }) {
  const path = `filters.${list}`;
  const invalid = Object.keys(problems).some((p) => p === path || p.startsWith(`${path}.`));
  return (
    <>
      <label htmlFor={`filters-${list}`}>{LABELS[list].label}</label>
      <div>
        <input id={`filters-${list}`} data-testid={`filters-${list}`} placeholder={LABELS[list].placeholder} value={value} aria-invalid={invalid} onChange={(e) => onChange(e.target.value)} />
        <FieldError problems={problems} path={path} testId={`filters-${list}`} />
      </div>
    </>
  );
}
