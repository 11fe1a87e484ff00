/**
 * The redactor every export uses (src-shared/redaction.ts says what and why). Two layers:
 * - by name: a secret header's value, a secret JSON or form field's value become `{{variable}}`;
 * - by value: every secret value met by name (a bearer token, a cookie's value, a password) is also replaced wherever
 *   else it shows up in the same export (a URL, another body), since a token that a login answer carried in its body
 *   flows into later requests. `learn()` each entry's headers before writing anything, so that values seen late are
 *   scrubbed from early entries too; body fields are learnt as they are met.
 */
import type { Entry, HeaderPair } from '../../../src-shared/model.js';
import {
  DEFAULT_SECRET_FIELDS, DEFAULT_SECRET_HEADERS, placeholderOf, variableNameOf, type RedactionOptions,
} from '../../../src-shared/redaction.js';

/** Shorter values are not scrubbed by value (they would hit ordinary text); by name they still are. */
const MIN_SCRUB_LENGTH = 6;
/** Bounds what one export remembers (an export of 10k entries with a fresh cookie each). */
const MAX_LEARNT = 20_000;

const fieldKey = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');

export class Redactor {
  readonly keep: boolean;
  private readonly headers: Set<string>;
  private readonly fields: Set<string>;
  /** Secret value → variable, longest first when scrubbing. */
  private readonly values = new Map<string, string>();
  private sorted: string[] | undefined;
  private readonly used = new Set<string>();

  constructor(options: RedactionOptions = {}) {
    this.keep = options.keepSecrets === true;
    this.headers = new Set([...DEFAULT_SECRET_HEADERS, ...(options.redactHeaders ?? [])].map((h) => h.toLowerCase()));
    this.fields = new Set([...DEFAULT_SECRET_FIELDS, ...(options.redactFields ?? [])].map(fieldKey));
  }

  isSecretHeader(name: string): boolean {
    return !this.keep && this.headers.has(name.toLowerCase());
  }

  isSecretField(name: string): boolean {
    return !this.keep && this.fields.has(fieldKey(name));
  }

  /** Variables the redacted output refers to, in first-use order. */
  variables(): string[] {
    return [...this.used];
  }

  /** Learn the secret values of an entry's headers (request, upstream request, response). */
  learn(entry: Pick<Entry, 'request' | 'response' | 'upstreamRequest'>): void {
    if (this.keep) return;
    for (const list of [entry.request.headers, entry.upstreamRequest?.headers, entry.response?.headers]) {
      for (const [name, value] of list ?? []) if (this.isSecretHeader(name)) this.learnHeaderValue(name, value);
    }
  }

  /** A header's value, or its placeholder. */
  header(name: string, value: string): string {
    if (this.keep) return value;
    if (this.isSecretHeader(name)) {
      this.learnHeaderValue(name, value);
      return this.use(variableNameOf(name));
    }
    return this.scrub(value);
  }

  headerPairs(headers: readonly HeaderPair[]): HeaderPair[] {
    return headers.map(([n, v]) => [n, this.header(n, v)]);
  }

  /** A query or form field's value. */
  field(name: string, value: string): string {
    if (this.keep) return value;
    if (this.isSecretField(name)) {
      this.learnValue(value, variableNameOf(name));
      return this.use(variableNameOf(name));
    }
    return this.scrub(value);
  }

  /** A parsed JSON value with secret fields replaced (a new value; the input is not changed). */
  json(value: unknown): unknown {
    if (this.keep) return value;
    return this.walk(value, 0);
  }

  /**
   * A body's text: JSON with its secret fields replaced, a form with its secret fields replaced, anything else
   * scrubbed of the secret values learnt so far. `contentType` decides, else the text's look.
   */
  bodyText(text: string, contentType?: string): string {
    if (this.keep || text === '') return text;
    const type = (contentType ?? '').toLowerCase();
    const trimmed = text.trimStart();
    if (type.includes('json') || (type === '' && (trimmed.startsWith('{') || trimmed.startsWith('[')))) {
      try {
        return JSON.stringify(this.json(JSON.parse(text)));
      } catch {
        // Not JSON after all: scrubbed as text.
      }
    }
    if (type.includes('application/x-www-form-urlencoded')) return this.formText(text);
    return this.scrub(text);
  }

  /** `a=1&password=x` with secret fields replaced (placeholders left unencoded so that tools substitute them). */
  formText(text: string): string {
    if (this.keep) return text;
    return text
      .split('&')
      .map((part) => {
        const eq = part.indexOf('=');
        if (eq < 0) return this.scrub(part);
        const rawName = part.slice(0, eq);
        let name = rawName;
        let value = part.slice(eq + 1);
        try {
          name = decodeURIComponent(rawName.replace(/\+/g, ' '));
          value = decodeURIComponent(value.replace(/\+/g, ' '));
        } catch {
          return this.scrub(part);
        }
        if (this.isSecretField(name)) return `${rawName}=${this.field(name, value)}`;
        return this.scrub(part);
      })
      .join('&');
  }

  /** A URL with secret query parameters replaced and learnt values scrubbed. */
  url(url: string): string {
    if (this.keep) return url;
    const q = url.indexOf('?');
    if (q < 0) return this.scrub(url);
    const hash = url.indexOf('#', q);
    const query = url.slice(q + 1, hash < 0 ? undefined : hash);
    return this.scrub(url.slice(0, q)) + '?' + this.formText(query) + (hash < 0 ? '' : this.scrub(url.slice(hash)));
  }

  /** Any text with every learnt secret value replaced by its placeholder. */
  scrub(text: string): string {
    if (this.keep || this.values.size === 0 || text === '') return text;
    this.sorted ??= [...this.values.keys()].sort((a, b) => b.length - a.length);
    let out = text;
    for (const secret of this.sorted) {
      if (out.includes(secret)) out = out.split(secret).join(this.use(this.values.get(secret)!));
    }
    return out;
  }

  private use(variable: string): string {
    this.used.add(variable);
    return placeholderOf(variable);
  }

  private walk(value: unknown, depth: number): unknown {
    if (depth > 128) return value;
    if (Array.isArray(value)) return value.map((v) => this.walk(v, depth + 1));
    if (typeof value === 'string') return this.scrub(value);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (this.isSecretField(k) && (typeof v === 'string' || typeof v === 'number')) {
        this.learnValue(String(v), variableNameOf(k));
        out[k] = this.use(variableNameOf(k));
      } else {
        out[k] = this.walk(v, depth + 1);
      }
    }
    return out;
  }

  private learnHeaderValue(name: string, value: string): void {
    const variable = variableNameOf(name);
    const lower = name.toLowerCase();
    this.learnValue(value, variable);
    if (lower === 'authorization' || lower === 'proxy-authorization') {
      const space = value.indexOf(' ');
      if (space > 0) this.learnValue(value.slice(space + 1).trim(), variable);
    } else if (lower === 'cookie') {
      for (const part of value.split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0) this.learnValue(part.slice(eq + 1).trim(), `cookie_${variableNameOf(part.slice(0, eq).trim())}`);
      }
    } else if (lower === 'set-cookie') {
      const first = value.split(';')[0] ?? '';
      const eq = first.indexOf('=');
      if (eq > 0) this.learnValue(first.slice(eq + 1).trim(), `cookie_${variableNameOf(first.slice(0, eq).trim())}`);
    }
  }

  private learnValue(value: string, variable: string): void {
    if (value.length < MIN_SCRUB_LENGTH || this.values.has(value) || this.values.size >= MAX_LEARNT) return;
    this.values.set(value, variable);
    this.sorted = undefined;
  }
}
