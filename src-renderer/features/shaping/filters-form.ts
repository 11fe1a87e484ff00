/** The scope filters (`filters`) as form text, and back: which requests are recorded. */
import { scopeFiltersSchema } from '../../../src-shared/schemas.js';
import { problemsOf, textOf, type Problems } from './field-problems.js';

export const FILTER_LISTS = ['includeHosts', 'excludeHosts', 'includePaths', 'excludePaths', 'includeMethods', 'excludeStatus'] as const;
export type FilterList = (typeof FILTER_LISTS)[number];

/** One text per list: items separated by commas, spaces or lines; `kept`: filters the form cannot show, unchanged. */
export type FiltersForm = Record<FilterList, string> & { kept?: unknown };

export const EMPTY_FILTERS: FiltersForm = { includeHosts: '', excludeHosts: '', includePaths: '', excludePaths: '', includeMethods: '', excludeStatus: '' };

export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).map((item) => item.trim()).filter(Boolean);
}

/** A status that is not a number is passed on as text, so that the server's schema names it. */
function statusItem(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}

/** The `filters` object, or undefined when no list has an item. */
export function filtersToInput(form: FiltersForm): Record<string, unknown> | undefined {
  if (form.kept !== undefined) return form.kept as Record<string, unknown>;
  const filters: Record<string, unknown> = {};
  for (const list of FILTER_LISTS) {
    const items = splitList(form[list]);
    if (items.length > 0) filters[list] = list === 'excludeStatus' ? items.map(statusItem) : items;
  }
  return Object.keys(filters).length > 0 ? filters : undefined;
}

export function filtersFromInput(filters: unknown): FiltersForm {
  const form = { ...EMPTY_FILTERS };
  if (filters === undefined) return form;
  const source = typeof filters === 'object' && filters !== null && !Array.isArray(filters) ? (filters as Record<string, unknown>) : null;
  const showable = (key: string) => (FILTER_LISTS as readonly string[]).includes(key) && Array.isArray(source?.[key]) && (source[key] as unknown[]).every((i) => typeof i === 'string' || typeof i === 'number');
  if (!source || !Object.keys(source).every(showable)) return { ...form, kept: filters };
  for (const list of FILTER_LISTS) {
    const items = source[list];
    if (Array.isArray(items)) form[list] = items.map(textOf).join(', ');
  }
  return form;
}

/**
 * The problems of each list's items, as the server names them (`filters.excludeStatus.1`), each item checked on its
 * own so that every bad one is found; then what is wrong with a list as a whole (too many items).
 */
export function filtersProblems(form: FiltersForm): Problems {
  const filters = filtersToInput(form) ?? {};
  if (form.kept !== undefined) return problemsOf(scopeFiltersSchema, filters, 'filters');
  const problems: Problems = {};
  for (const list of FILTER_LISTS) {
    const items = filters[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item: unknown, index) => {
      const message = Object.values(problemsOf(scopeFiltersSchema, { [list]: [item] }, ''))[0];
      if (message) problems[`filters.${list}.${index}`] = `${JSON.stringify(item)}: ${message}`;
    });
  }
  for (const [path, message] of Object.entries(problemsOf(scopeFiltersSchema, filters, 'filters'))) {
    if (!Object.keys(problems).some((p) => p.startsWith(`${path}.`))) problems[path] ??= message;
  }
  return problems;
}
