/**
 * The http toxics as form text, and back. The form holds one set (the reference's flat or `http` form, plus an
 * optional `match`); a configuration it cannot show (a list of sets, other protocols' keys) is kept as it is.
 */
import { sessionToxicsSchema, type SessionToxics } from '../../../src-shared/toxics.js';
import { problemsOf, textOf, type Problems } from './field-problems.js';
import { splitList } from './filters-form.js';

export const TOXIC_FIELDS = [
  'delayMs', 'delayJitter', 'errorRate', 'errorStatus', 'bandwidthKBps', 'slowReadKBps', 'failFirst', 'resetRate', 'timeoutRate', 'seed',
] as const;
export type ToxicField = (typeof TOXIC_FIELDS)[number];
export const MATCH_FIELDS = ['method', 'path', 'host'] as const;
export type MatchField = (typeof MATCH_FIELDS)[number];

export interface ToxicsForm {
  values: Record<ToxicField, string>;
  /** Lists separated by commas or spaces; all empty: every request. */
  match: Record<MatchField, string>;
  /** Toxics the form cannot show, kept unchanged until replaced. */
  kept?: unknown;
}

export const EMPTY_TOXICS: ToxicsForm = {
  values: Object.fromEntries(TOXIC_FIELDS.map((f) => [f, ''])) as Record<ToxicField, string>,
  match: { method: '', path: '', host: '' },
};

/** A number, or the text itself so that the server's schema says what is wrong with it. */
function numberOf(text: string): number | string {
  const trimmed = text.trim();
  return /^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(trimmed) ? Number(trimmed) : trimmed;
}

function oneOrMany(text: string): string | string[] | undefined {
  const items = splitList(text);
  return items.length === 0 ? undefined : items.length === 1 ? items[0] : items;
}

/** `{http: {...}}`, the kept toxics, or undefined when the form gives none. */
export function toxicsToInput(form: ToxicsForm): SessionToxics | undefined {
  if (form.kept !== undefined) return form.kept as SessionToxics;
  const set: Record<string, unknown> = {};
  for (const field of TOXIC_FIELDS) if (form.values[field].trim() !== '') set[field] = numberOf(form.values[field]);
  const match: Record<string, unknown> = {};
  for (const field of MATCH_FIELDS) {
    const value = oneOrMany(form.match[field]);
    if (value !== undefined) match[field] = value;
  }
  if (Object.keys(match).length > 0) set.match = match;
  return Object.keys(set).length > 0 ? ({ http: set }) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The one http set of a configuration's toxics, or null when they are more than one set can say. */
function singleSet(toxics: Record<string, unknown>): Record<string, unknown> | null {
  const flat = Object.keys(toxics).filter((key) => key !== 'http');
  const known = new Set<string>([...TOXIC_FIELDS, 'match']);
  if (toxics.http === undefined) return flat.every((key) => known.has(key)) ? toxics : null;
  if (flat.length > 0) return null;
  const http = Array.isArray(toxics.http) && toxics.http.length === 1 ? (toxics.http[0] as unknown) : toxics.http;
  return isRecord(http) && Object.keys(http).every((key) => known.has(key)) ? http : null;
}

export function toxicsFromInput(toxics: unknown): ToxicsForm {
  if (toxics === undefined) return EMPTY_TOXICS;
  const set = isRecord(toxics) ? singleSet(toxics) : null;
  const match = set?.match;
  if (!set || (match !== undefined && !(isRecord(match) && Object.keys(match).every((k) => (MATCH_FIELDS as readonly string[]).includes(k))))) {
    return { ...EMPTY_TOXICS, kept: toxics };
  }
  const text = (v: unknown) => (Array.isArray(v) ? v.map(textOf).join(', ') : textOf(v));
  return {
    values: Object.fromEntries(TOXIC_FIELDS.map((f) => [f, text(set[f])])) as Record<ToxicField, string>,
    match: Object.fromEntries(MATCH_FIELDS.map((f) => [f, text(isRecord(match) ? match[f] : undefined)])) as Record<MatchField, string>,
  };
}

/** What the server would refuse, at the paths it names (`toxics.http.errorRate`). */
export function toxicsProblems(form: ToxicsForm): Problems {
  const toxics = toxicsToInput(form);
  return toxics === undefined ? {} : problemsOf(sessionToxicsSchema, toxics, 'toxics');
}
