/** The modification rules as form rows, and back; rows are checked one by one with the server's rule schemas. */
import {
  bodyReplacementSchema,
  headerRuleSchema,
  sessionModificationsSchema,
  urlRewriteSchema,
  type SessionModifications,
} from '../../../src-shared/modifications.js';
import { itemProblems, problemsOf, textOf, type Problems } from './field-problems.js';

/** `action` stays text: a wrong one from the JSON tab is shown with the server's words, not silently changed. */
export interface HeaderRow { action: string; name: string; value: string }
export interface UrlRow { match: string; replace: string }
export interface BodyRow { match: string; replace: string; isRegex: boolean }

export interface ModificationsForm {
  requestHeaders: HeaderRow[];
  responseHeaders: HeaderRow[];
  urlRewrites: UrlRow[];
  bodyReplacements: BodyRow[];
  /** Rules the form cannot show (not lists of objects, unknown keys), kept unchanged until replaced. */
  kept?: unknown;
}

export type RuleList = 'requestHeaders' | 'responseHeaders' | 'urlRewrites' | 'bodyReplacements';
export const RULE_LISTS: RuleList[] = ['requestHeaders', 'responseHeaders', 'urlRewrites', 'bodyReplacements'];

export const EMPTY_MODIFICATIONS: ModificationsForm = { requestHeaders: [], responseHeaders: [], urlRewrites: [], bodyReplacements: [] };

export const NEW_ROW = {
  requestHeaders: (): HeaderRow => ({ action: 'add', name: '', value: '' }),
  responseHeaders: (): HeaderRow => ({ action: 'add', name: '', value: '' }),
  urlRewrites: (): UrlRow => ({ match: '', replace: '' }),
  bodyReplacements: (): BodyRow => ({ match: '', replace: '', isRegex: false }),
};

const headerRule = (row: HeaderRow) => (row.action === 'remove' ? { action: row.action, name: row.name } : { action: row.action, name: row.name, value: row.value });
const bodyRule = (row: BodyRow) => (row.isRegex ? { match: row.match, replace: row.replace, isRegex: true } : { match: row.match, replace: row.replace });

/** The rules as the server takes them, the kept ones, or undefined when there is no rule. */
export function modificationsToInput(form: ModificationsForm): SessionModifications | undefined {
  if (form.kept !== undefined) return form.kept as SessionModifications;
  const out: Record<string, unknown[]> = {};
  if (form.requestHeaders.length) out.requestHeaders = form.requestHeaders.map(headerRule);
  if (form.responseHeaders.length) out.responseHeaders = form.responseHeaders.map(headerRule);
  if (form.urlRewrites.length) out.urlRewrites = form.urlRewrites.map((r) => ({ match: r.match, replace: r.replace }));
  if (form.bodyReplacements.length) out.bodyReplacements = form.bodyReplacements.map(bodyRule);
  return Object.keys(out).length > 0 ? (out) : undefined;
}

const ROW_KEYS: Record<RuleList, string[]> = {
  requestHeaders: ['action', 'name', 'value'],
  responseHeaders: ['action', 'name', 'value'],
  urlRewrites: ['match', 'replace'],
  bodyReplacements: ['match', 'replace', 'isRegex'],
};

function rowsOf(value: unknown, list: RuleList): Array<Record<string, unknown>> | null {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return null;
  const rows = value as unknown[];
  const fits = rows.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r) && Object.keys(r).every((k) => ROW_KEYS[list].includes(k)));
  return fits ? (rows as Array<Record<string, unknown>>) : null;
}

export function modificationsFromInput(modifications: unknown): ModificationsForm {
  if (modifications === undefined) return EMPTY_MODIFICATIONS;
  const source = typeof modifications === 'object' && modifications !== null && !Array.isArray(modifications) ? (modifications as Record<string, unknown>) : null;
  const lists = source && Object.keys(source).every((k) => (RULE_LISTS as string[]).includes(k)) ? RULE_LISTS.map((l) => rowsOf(source[l], l)) : null;
  if (!lists || lists.some((rows) => rows === null)) return { ...EMPTY_MODIFICATIONS, kept: modifications };
  const [requestHeaders, responseHeaders, urlRewrites, bodyReplacements] = lists as Array<Array<Record<string, unknown>>>;
  const text = textOf;
  const header = (r: Record<string, unknown>): HeaderRow => ({ action: text(r.action), name: text(r.name), value: text(r.value) });
  return {
    requestHeaders: requestHeaders!.map(header),
    responseHeaders: responseHeaders!.map(header),
    urlRewrites: urlRewrites!.map((r) => ({ match: text(r.match), replace: text(r.replace) })),
    bodyReplacements: bodyReplacements!.map((r) => ({ match: text(r.match), replace: text(r.replace), isRegex: r.isRegex === true })),
  };
}

const RULE_SCHEMA = { requestHeaders: headerRuleSchema, responseHeaders: headerRuleSchema, urlRewrites: urlRewriteSchema, bodyReplacements: bodyReplacementSchema };

/** Each rule's problems at the path the server names (`modifications.urlRewrites.0.match`), then the lists' own. */
export function modificationsProblems(form: ModificationsForm): Problems {
  const input = modificationsToInput(form);
  if (input === undefined) return {};
  if (form.kept !== undefined) return problemsOf(sessionModificationsSchema, input, 'modifications');
  const problems: Problems = {};
  for (const list of RULE_LISTS) {
    const rows = input[list];
    if (rows) Object.assign(problems, itemProblems((row) => problemsOf(RULE_SCHEMA[list], row, ''), rows, `modifications.${list}`));
  }
  for (const [path, message] of Object.entries(problemsOf(sessionModificationsSchema, input, 'modifications'))) {
    if (!Object.keys(problems).some((p) => p === path || p.startsWith(`${path}.`))) problems[path] = message;
  }
  return problems;
}

/** The list with the item at `from` moved to `to` (reordering rules: they apply in order). */
export function moveItem<T>(items: T[], from: number, to: number): T[] {
  if (to < 0 || to >= items.length || from === to) return items;
  const next = [...items];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item!);
  return next;
}
