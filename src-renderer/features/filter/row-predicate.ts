/**
 * Turns a parsed filter into one predicate over table rows. Compiled once per filter change so that the
 * per-row work on 100k rows is plain comparisons, no parsing.
 */
import { compileGlob, hasWildcard, type GlobMatcher } from '../../../src-shared/glob.js';
import type { EntryRow } from '../entries/entry-row.js';
import type { Clause, CompareOp, ParsedFilter } from './filter-expression.js';

export type RowPredicate = (row: EntryRow) => boolean;

export interface PredicateOptions {
  /** Ids whose bodies matched the free text on the server; such rows pass the text clauses. */
  bodyMatches?: ReadonlySet<string> | null;
}

/**
 * `host:` and `path:` globs, the same matcher as the recorder's scope filters (linear-time whatever the pattern,
 * so typing `*a*a*a*a*b` cannot freeze the table): `*` any run (`/` and `.` included), `?` one character,
 * case-insensitive, whole-string; a pattern without wildcards must match exactly.
 */
export function compileRowGlob(glob: string): GlobMatcher {
  return compileGlob(glob, { caseInsensitive: true });
}

function compare(op: CompareOp, actual: number, wanted: number): boolean {
  switch (op) {
    case ':':
    case '=':
      return actual === wanted;
    case '>':
      return actual > wanted;
    case '>=':
      return actual >= wanted;
    case '<':
      return actual < wanted;
    case '<=':
      return actual <= wanted;
    default: {
      const never: never = op;
      throw new Error(`unknown operator ${String(never)}`);
    }
  }
}

function statusMatcher(value: string): RowPredicate {
  const v = value.toLowerCase();
  if (v === 'none') return (row) => row.status === 0;
  const cls = /^([1-5])xx$/.exec(v);
  if (cls) {
    const base = Number(cls[1]) * 100;
    return (row) => row.status >= base && row.status < base + 100;
  }
  const code = Number(v);
  return (row) => row.status === code;
}

function isMatcher(value: string): RowPredicate {
  switch (value) {
    case 'error':
      return (row) => row.error !== '' || row.status >= 500;
    case 'tagged':
      return (row) => row.tags.length > 0;
    case 'noted':
      return (row) => row.notes !== '';
    case 'maplocal':
    case 'mapped':
      return (row) => row.mapLocal;
    case 'injected':
      return (row) => row.injected !== undefined;
    case 'modified':
      return (row) => (row.modifiedRules?.length ?? 0) > 0;
    case 'pending':
      return (row) => row.status === 0 && row.error === '' && row.entryType === 'http';
    default:
      return () => false;
  }
}

function anyOf(matchers: RowPredicate[]): RowPredicate {
  if (matchers.length === 1) return matchers[0] as RowPredicate;
  return (row) => matchers.some((m) => m(row));
}

function clausePredicate(clause: Clause, options: PredicateOptions): RowPredicate {
  if (clause.field === 'text') {
    const term = clause.value;
    const bodies = options.bodyMatches;
    const base: RowPredicate = (row) => row.haystack.includes(term) || (row.notes !== '' && row.notes.toLowerCase().includes(term));
    // A body match only widens positive text terms; "-foo" excludes by URL/headers alone.
    const withBodies: RowPredicate = bodies && !clause.negate ? (row) => base(row) || bodies.has(row.id) : base;
    return clause.negate ? (row) => !withBodies(row) : withBodies;
  }
  const { field, op, values } = clause;
  let positive: RowPredicate;
  switch (field) {
    case 'method': {
      const set = new Set(values);
      positive = (row) => set.has(row.method.toUpperCase());
      break;
    }
    case 'status':
      positive = op === ':' ? anyOf(values.map(statusMatcher)) : (row) => row.status !== 0 && compare(op, row.status, Number(values[0]));
      break;
    case 'duration':
      positive = anyOf(values.map((v) => (row: EntryRow) => compare(op, row.durationMs, Number(v))));
      break;
    case 'size':
      positive = anyOf(values.map((v) => (row: EntryRow) => compare(op, row.size, Number(v))));
      break;
    case 'host': {
      const globs = values.map(compileRowGlob);
      // Tunnel rows carry "host:port"; a host glob should match them without the port.
      positive = (row) => globs.some((glob) => glob(row.host) || glob(row.host.replace(/:\d+$/, '')));
      break;
    }
    case 'path': {
      const globs = values.map((v) => (hasWildcard(v) ? compileRowGlob(v) : null));
      positive = (row) => {
        const path = row.path.toLowerCase();
        const pathOnly = path.split('?')[0] ?? path;
        return values.some((v, i) => {
          const glob = globs[i];
          return glob ? glob(pathOnly) || glob(path) : path.includes(v);
        });
      };
      break;
    }
    case 'type':
      positive = (row) => values.some((v) => row.typeLabel === v || row.contentType.toLowerCase().includes(v) || row.entryType === v);
      break;
    case 'tag': {
      const wanted = values.map((v) => v.toLowerCase());
      positive = (row) => row.tags.some((t) => wanted.includes(t.toLowerCase()));
      break;
    }
    case 'is':
      positive = anyOf(values.map(isMatcher));
      break;
    default: {
      const never: never = field;
      throw new Error(`unknown field ${String(never)}`);
    }
  }
  return clause.negate ? (row) => !positive(row) : positive;
}

/** Null when nothing filters, so callers can skip the pass entirely. */
export function compileFilter(filter: ParsedFilter, options: PredicateOptions = {}): RowPredicate | null {
  if (filter.clauses.length === 0) return null;
  const parts = filter.clauses.map((c) => clausePredicate(c, options));
  if (parts.length === 1) return parts[0] as RowPredicate;
  return (row) => {
    for (const p of parts) if (!p(row)) return false;
    return true;
  };
}
