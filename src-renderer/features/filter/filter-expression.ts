/**
 * The compact filter language: `status>=400 method:POST host:*.example.com tag:bug "free text"`.
 * Every clause is ANDed; a comma inside one clause means OR (`method:GET,POST`); a leading `-` negates.
 * The filter bar's dropdowns edit the same string, so the expression is the one source of truth.
 */

export const FILTER_FIELDS = ['method', 'status', 'host', 'path', 'type', 'tag', 'duration', 'size', 'is'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
export type CompareOp = ':' | '=' | '>' | '>=' | '<' | '<=';

export type Clause =
  | { field: 'text'; value: string; negate: boolean }
  | { field: FilterField; op: CompareOp; values: string[]; negate: boolean };

export interface ParsedFilter {
  clauses: Clause[];
  /** Positive free-text terms, in order: what the server body search is asked for. */
  text: string[];
  errors: string[];
}

const FIELD_ALIASES: Record<string, FilterField> = {
  method: 'method', m: 'method',
  status: 'status', s: 'status', code: 'status',
  host: 'host', domain: 'host',
  path: 'path',
  type: 'type', 'content-type': 'type', ct: 'type',
  tag: 'tag', tags: 'tag',
  duration: 'duration', time: 'duration',
  size: 'size',
  is: 'is', has: 'is',
};

const NUMERIC_FIELDS: ReadonlySet<FilterField> = new Set(['status', 'duration', 'size']);
const IS_VALUES = new Set(['error', 'tagged', 'noted', 'maplocal', 'mapped', 'injected', 'modified', 'pending']);

interface TokenSpan {
  text: string;
  /** Index of the token's first character in the input. */
  start: number;
  /** Began with a quote: always free text, never a clause. */
  quoted: boolean;
}

/** Tokens with where they start, and where a quote that never closes was opened (-1: none). */
function scan(input: string): { spans: TokenSpan[]; unclosedQuote: number } {
  const spans: TokenSpan[] = [];
  let current: TokenSpan | null = null;
  let quoteAt = -1;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i] as string;
    if (quoteAt !== -1) {
      if (ch === '\\' && input[i + 1] === '"') { current!.text += '"'; i++; }
      else if (ch === '"') quoteAt = -1;
      else current!.text += ch;
    } else if (ch === '"') {
      current ??= { text: '', start: i, quoted: true };
      quoteAt = i;
    } else if (/\s/.test(ch)) {
      if (current) spans.push(current);
      current = null;
    } else {
      current ??= { text: '', start: i, quoted: false };
      current.text += ch;
    }
  }
  if (current) spans.push(current);
  return { spans, unclosedQuote: quoteAt };
}

/** Split on whitespace, keeping "double quoted" runs (with \" escapes) together. */
export function tokenize(input: string): string[] {
  return scan(input).spans.map((span) => span.text);
}

const CLAUSE_RE = /^(-?)([a-z][a-z-]*)(>=|<=|:|=|>|<)(.*)$/i;

const OPERATOR_CHARS = /^[:=<>]/;
const FIELD_LIST = FILTER_FIELDS.join(', ');

export function parseToken(token: string, quoted = false): Clause | { error: string } | null {
  const match = quoted ? null : CLAUSE_RE.exec(token);
  const field = match ? FIELD_ALIASES[(match[2] as string).toLowerCase()] : undefined;
  // "x-id:abc" or "http://a" stay text searches; a run of operators ("nonsense:::(") or a comparison is a mistyped clause.
  if (match && !field && (OPERATOR_CHARS.test(match[4] as string) || (match[3] !== ':' && match[3] !== '='))) {
    return { error: `"${match[2]}" is not a filter field (fields: ${FIELD_LIST}); put the text in "quotes" to search for it` };
  }
  if (match && field && OPERATOR_CHARS.test(match[4] as string)) {
    return { error: `${match[2]}${match[3]} is followed by another operator "${(match[4] as string)[0]}": write one, e.g. status>=400` };
  }
  if (!match || !field) {
    const negate = token.startsWith('-') && token.length > 1;
    const value = (negate ? token.slice(1) : token).toLowerCase();
    return value ? { field: 'text', value, negate } : null;
  }
  const negate = match[1] === '-';
  const op = match[3] as CompareOp;
  const raw = match[4] as string;
  if (raw === '') return null; // still typing: "status:" filters nothing yet
  const values = raw.split(',').map((v) => v.trim()).filter(Boolean);
  if (op !== ':' && op !== '=' && !NUMERIC_FIELDS.has(field)) {
    return { error: `${field} cannot be compared with ${op}` };
  }
  if (NUMERIC_FIELDS.has(field)) {
    for (const v of values) {
      const ok = field === 'status' && op === ':' ? /^(\d{1,3}|[1-5]xx|none)$/i.test(v) : /^\d+(\.\d+)?$/.test(v);
      if (!ok) return { error: `${field}: "${v}" is not a ${field === 'status' ? 'status like 404, 4xx or none' : 'number'}` };
    }
    if (op !== ':' && op !== '=' && values.length !== 1) return { error: `${field}${op} takes one number` };
  }
  if (field === 'is') {
    for (const v of values) if (!IS_VALUES.has(v.toLowerCase())) return { error: `is:${v} is unknown (try ${[...IS_VALUES].join(', ')})` };
  }
  const normalized = field === 'method' ? values.map((v) => v.toUpperCase())
    : field === 'tag' ? values
    : values.map((v) => v.toLowerCase());
  return { field, op: op === '=' ? ':' : op, values: normalized, negate };
}

export function parseFilter(input: string): ParsedFilter {
  const clauses: Clause[] = [];
  const text: string[] = [];
  const errors: string[] = [];
  const { spans, unclosedQuote } = scan(input);
  for (const span of spans) {
    const parsed = parseToken(span.text, span.quoted);
    if (parsed === null) continue;
    if ('error' in parsed) { errors.push(`at character ${span.start + 1} (${span.text}): ${parsed.error}`); continue; }
    clauses.push(parsed);
    if (parsed.field === 'text' && !parsed.negate) text.push(parsed.value);
  }
  if (unclosedQuote !== -1) errors.push(`at character ${unclosedQuote + 1}: this quote is never closed`);
  return { clauses, text, errors };
}

function quoteIfNeeded(value: string): string {
  return /[\s"]/.test(value) ? `"${value.replace(/"/g, '\\"')}"` : value;
}

/** The first positive `field:` value list in the expression (what a dropdown shows). */
export function getFieldValue(input: string, field: FilterField): string {
  for (const token of tokenize(input)) {
    const parsed = parseToken(token);
    if (parsed && !('error' in parsed) && parsed.field === field && !parsed.negate && parsed.op === ':') {
      return parsed.values.join(',');
    }
  }
  return '';
}

/** Replace every positive `field:` clause with `field:value` (or drop them when value is empty). */
export function setFieldValue(input: string, field: FilterField, value: string): string {
  const kept = tokenize(input).filter((token) => {
    const parsed = parseToken(token);
    return !(parsed && !('error' in parsed) && parsed.field === field && !parsed.negate && parsed.op === ':');
  });
  const requoted = kept.map((t) => quoteIfNeeded(t));
  if (value.trim()) requoted.push(`${field}:${quoteIfNeeded(value.trim())}`);
  return requoted.join(' ');
}

/**
 * True when every row `next` accepts is also accepted by `prev`: the same clauses except one positive text
 * term that got longer. Typing "12" then "123" can then filter the previous result instead of all rows.
 */
export function isNarrowing(prev: ParsedFilter, next: ParsedFilter): boolean {
  if (prev.clauses.length === 0 || prev.clauses.length !== next.clauses.length) return false;
  let extended = 0;
  for (let i = 0; i < prev.clauses.length; i++) {
    const a = prev.clauses[i] as Clause;
    const b = next.clauses[i] as Clause;
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (a.field === 'text' && b.field === 'text' && !a.negate && !b.negate && b.value.includes(a.value)) {
      extended++;
      continue;
    }
    return false;
  }
  return extended === 1;
}
