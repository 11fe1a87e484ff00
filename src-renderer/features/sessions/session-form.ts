/** The new-session form as plain data, and its conversion to and from the full JSON configuration. */
import type { StartSessionInput } from '../../../src-shared/schemas.js';
import { EMPTY_MAP_LOCAL, mapLocalFromInput, mapLocalToInput, type MapLocalForm } from '../shaping/map-local-form.js';
import { EMPTY_FILTERS, filtersFromInput, filtersToInput, type FiltersForm } from '../shaping/filters-form.js';
import { EMPTY_MODIFICATIONS, modificationsFromInput, modificationsToInput, type ModificationsForm } from '../shaping/modifications-form.js';
import { EMPTY_TOXICS, toxicsFromInput, toxicsToInput, type ToxicsForm } from '../shaping/toxics-form.js';

export interface SessionForm {
  name: string;
  mode: 'reverse' | 'forward';
  targetUrl: string;
  listenPort: string;
  namespace: string;
  /** Forward sessions: decrypt HTTPS with the install CA (`mitm: {enabled: true}`). */
  mitm: boolean;
  /** Host globs, separated by commas, spaces or lines: intercept only these… */
  mitmIncludeHosts: string;
  /** …or all but these. */
  mitmExcludeHosts: string;
  /** Accept upstream certificates that do not verify (self-signed staging servers). */
  ignoreUpstreamCertErrors: boolean;
  /** The other tabs: scope filters, toxics, modification rules (each kept as is when its form cannot show it). */
  filters: FiltersForm;
  toxics: ToxicsForm;
  modifications: ModificationsForm;
  mapLocal: MapLocalForm;
}

export const EMPTY_FORM: SessionForm = {
  name: '',
  mode: 'reverse',
  targetUrl: '',
  listenPort: '',
  namespace: 'default',
  mitm: false,
  mitmIncludeHosts: '',
  mitmExcludeHosts: '',
  ignoreUpstreamCertErrors: false,
  filters: EMPTY_FILTERS,
  toxics: EMPTY_TOXICS,
  modifications: EMPTY_MODIFICATIONS,
  mapLocal: EMPTY_MAP_LOCAL,
};

/** "a.test, *.b.test\nc.test" → ["a.test", "*.b.test", "c.test"] */
export function parseHostList(text: string): string[] {
  return text.split(/[\s,]+/).map((h) => h.trim()).filter(Boolean);
}

export function validateMitmHosts(form: Pick<SessionForm, 'mode' | 'mitm' | 'mitmIncludeHosts' | 'mitmExcludeHosts'>): string | null {
  if (form.mode !== 'forward' || !form.mitm) return null;
  if (parseHostList(form.mitmIncludeHosts).length > 0 && parseHostList(form.mitmExcludeHosts).length > 0) {
    return 'Give hosts to decrypt or hosts to pass through, not both';
  }
  return null;
}

export function validateTargetUrl(value: string, mode: SessionForm['mode']): string | null {
  // A forward proxy has no target: the field is disabled then, so nothing in it may block the form.
  if (mode === 'forward') return null;
  if (!value.trim()) return 'A reverse-proxy session needs a target URL';
  try {
    const url = new URL(value.trim());
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) return 'Use an absolute http:// or https:// URL';
    return null;
  } catch {
    return 'Use an absolute http:// or https:// URL';
  }
}

export function validatePort(value: string): string | null {
  if (!value.trim()) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) return 'A port is a whole number from 1 to 65535 (blank = auto)';
  return null;
}

export function formToInput(form: SessionForm, extra: Record<string, unknown> = {}): StartSessionInput {
  const input: Record<string, unknown> = { ...extra };
  const set = (key: string, value: unknown) => {
    if (value === undefined || value === '') delete input[key];
    else input[key] = value;
  };
  set('name', form.name.trim());
  input.mode = form.mode;
  set('targetUrl', form.mode === 'reverse' ? form.targetUrl.trim() : undefined);
  set('listenPort', form.listenPort.trim() ? Number(form.listenPort) : undefined);
  if (input.listenPort !== undefined) delete input.port;
  set('namespace', form.namespace.trim());
  if (form.mode === 'forward' && form.mitm) {
    const includeHosts = parseHostList(form.mitmIncludeHosts);
    const excludeHosts = parseHostList(form.mitmExcludeHosts);
    input.mitm = { enabled: true, ...(includeHosts.length ? { includeHosts } : {}), ...(excludeHosts.length ? { excludeHosts } : {}) };
  } else {
    // The form's switch decides; a reverse session never takes mitm.
    delete input.mitm;
  }
  set('ignoreUpstreamCertErrors', form.ignoreUpstreamCertErrors ? true : undefined);
  // The form's tabs hold these (the JSON tab's are read into them when it is left): they decide.
  set('filters', filtersToInput(form.filters));
  set('toxics', toxicsToInput(form.toxics));
  set('modifications', modificationsToInput(form.modifications));
  set('mapLocal', mapLocalToInput(form.mapLocal));
  return input;
}

/** The JSON tab's text as a configuration object, or what is wrong with it in words. */
export function parseConfigJson(json: string): Record<string, unknown> | string {
  try {
    const value = JSON.parse(json) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'The configuration must be a JSON object';
    return value as Record<string, unknown>;
  } catch (error) {
    return `Not valid JSON: ${(error as Error).message}`;
  }
}

/** The form's fields over every other option the JSON tab holds (unparseable JSON adds nothing). */
export function formOverJson(form: SessionForm, json: string): StartSessionInput {
  const previous = json ? parseConfigJson(json) : {};
  return formToInput(form, typeof previous === 'string' ? {} : previous);
}

export function inputToForm(input: Record<string, unknown>): SessionForm {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const port = input.listenPort ?? input.port;
  const mitm = typeof input.mitm === 'object' && input.mitm !== null ? (input.mitm as { enabled?: unknown; includeHosts?: unknown; excludeHosts?: unknown }) : undefined;
  const hosts = (v: unknown) => (Array.isArray(v) ? v.filter((h): h is string => typeof h === 'string').join(', ') : '');
  return {
    name: str(input.name),
    mode: input.mode === 'forward' ? 'forward' : 'reverse',
    targetUrl: str(input.targetUrl),
    listenPort: typeof port === 'number' && port > 0 ? String(port) : '',
    namespace: str(input.namespace) || 'default',
    mitm: mitm?.enabled === true,
    mitmIncludeHosts: hosts(mitm?.includeHosts),
    mitmExcludeHosts: hosts(mitm?.excludeHosts),
    ignoreUpstreamCertErrors: input.ignoreUpstreamCertErrors === true,
    filters: filtersFromInput(input.filters),
    toxics: toxicsFromInput(input.toxics),
    modifications: modificationsFromInput(input.modifications),
    mapLocal: mapLocalFromInput(input.mapLocal),
  };
}
