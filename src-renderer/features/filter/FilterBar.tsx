import { useEffect, useRef } from 'react';
import type { RefObject } from 'react';
import { useTrafficStore } from '../../stores/traffic-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { getFieldValue, setFieldValue } from './filter-expression.js';
import type { FilterField } from './filter-expression.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'CONNECT'];
const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'none'];
const TYPES = ['json', 'html', 'xml', 'image', 'text', 'js', 'css', 'tunnel'];

const HELP = 'Free text matches URL, headers and bodies. Clauses: method:POST status>=400 status:4xx host:*.example.com path:/api/* type:json tag:bug duration>500 size>1000 is:error (also is:injected, is:modified, is:mapped, is:tagged, is:noted, is:pending). In host: and path:, * matches any run (/ included) and ? one character. Comma = or, leading - = not. / focuses, Esc clears.';

function FieldSelect({ field, label, options }: { field: FilterField; label: string; options: string[] }) {
  const text = useUiStore((s) => s.filterText);
  const setText = useUiStore((s) => s.setFilterText);
  const value = getFieldValue(text, field);
  const all = value && !options.includes(value) ? [value, ...options] : options;
  return (
    <select
      aria-label={label}
      data-testid={`filter-${field}`}
      className={value ? 'active' : ''}
      value={value}
      onChange={(e) => setText(setFieldValue(text, field, e.target.value))}
    >
      <option value="">{label}</option>
      {all.map((o) => <option key={o} value={o}>{o}</option>)}
    </select>
  );
}

/** "/" focuses (and selects) the filter from anywhere except while typing somewhere else. */
function useSlashFocus(input: RefObject<HTMLInputElement | null>): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      const target = e.target as HTMLElement | null;
      if (target && (target.closest('input, textarea, select, [contenteditable="true"], .monaco-editor'))) return;
      e.preventDefault();
      input.current?.focus();
      input.current?.select();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [input]);
}

/** The free-text filter expression; Esc clears it. */
function FilterInput({ errors }: { errors: string[] }) {
  const text = useUiStore((s) => s.filterText);
  const setText = useUiStore((s) => s.setFilterText);
  const input = useRef<HTMLInputElement>(null);
  useSlashFocus(input);
  return (
    <div className="filter-input-wrap">
      <span className="filter-icon" aria-hidden="true">⌕</span>
      <input
        ref={input}
        data-testid="filter-input"
        className={errors.length ? 'invalid' : ''}
        placeholder="Filter, e.g. status>=400"
        title={HELP}
        aria-label="Filter expression"
        aria-invalid={errors.length > 0}
        aria-describedby={errors.length > 0 ? 'filter-errors' : undefined}
        value={text}
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            setText('');
            e.currentTarget.blur();
          }
        }}
      />
      {!text && <kbd className="filter-shortcut" title="Press / to focus the filter">/</kbd>}
      {text && <button type="button" className="icon-button clear" aria-label="Clear filter" data-testid="filter-clear" onClick={() => setText('')}>×</button>}
    </div>
  );
}

function HostInput() {
  const text = useUiStore((s) => s.filterText);
  const setText = useUiStore((s) => s.setFilterText);
  const hostValue = getFieldValue(text, 'host');
  return (
    <input
      className={`host-input${hostValue ? ' active' : ''}`}
      data-testid="filter-host"
      placeholder="host glob"
      aria-label="Host glob"
      value={hostValue}
      onChange={(e) => setText(setFieldValue(text, 'host', e.target.value))}
    />
  );
}

export function FilterBar({ shown, total }: { shown: number; total: number }) {
  const errors = useUiStore((s) => s.filter.errors);
  const bodyMatches = useUiStore((s) => s.bodyMatches);
  const tags = useTrafficStore((s) => s.tagsInUse);
  return (
    <div className="filter-bar" data-testid="filter-bar">
      <FilterInput errors={errors} />
      <FieldSelect field="method" label="Method" options={METHODS} />
      <FieldSelect field="status" label="Status" options={STATUS_CLASSES} />
      <HostInput />
      <FieldSelect field="type" label="Type" options={TYPES} />
      <FieldSelect field="tag" label="Tag" options={tags} />
      <span className="filter-count" data-testid="filter-count">
        {shown === total ? `${total.toLocaleString()} ${total === 1 ? 'entry' : 'entries'}` : `${shown.toLocaleString()} of ${total.toLocaleString()}`}
        {bodyMatches && bodyMatches.size > 0 ? ` · ${bodyMatches.size} by body` : ''}
      </span>
      {errors.length > 0 && (
        <div className="filter-errors" id="filter-errors" data-testid="filter-errors" role="alert">
          <strong>The filter is not valid, {errors.length === 1 ? 'this part is' : 'these parts are'} ignored:</strong> {errors.join('; ')}
        </div>
      )}
    </div>
  );
}
