/**
 * What every export (HAR, mocks, Postman, test and k6 scripts, cURL/fetch, the Mockarty push) redacts, and the
 * input fields that change it. The engine's redactor is src-main/engine/export/redact.ts.
 *
 * A secret becomes a named placeholder `{{name}}`: Postman's own variable syntax, which the scripts and the k6
 * module turn into a variable of the same name (`SECRETS.authorization`, overridable from the environment).
 */
import { z } from 'zod';

/** Always redacted unless `keepSecrets`. Lower case. */
export const DEFAULT_SECRET_HEADERS = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-api-key', 'x-auth-token'] as const;

/** JSON (and form) field names redacted by default, compared case-insensitively with `_` and `-` ignored. */
export const DEFAULT_SECRET_FIELDS = [
  'password', 'passwd', 'secret', 'client_secret', 'token', 'access_token', 'refresh_token', 'id_token', 'api_key', 'apikey',
] as const;

const nameList = z
  .array(z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(200, 'is too long'), { error: 'must be a list of names' })
  .max(200, 'at most 200 names');

/** Spread into the input schema of every export row. */
export const redactionInputShape = {
  /** Keep every secret as recorded (explicit opt-out of redaction). */
  keepSecrets: z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')], { error: 'must be true or false' }).optional(),
  /** More header names to redact, beside the defaults. */
  redactHeaders: nameList.optional(),
  /** More JSON/form field names to redact, beside the defaults. */
  redactFields: nameList.optional(),
};

export interface RedactionOptions {
  keepSecrets?: boolean;
  redactHeaders?: string[];
  redactFields?: string[];
}

/** The placeholder of a variable: `{{authorization}}`. */
export function placeholderOf(variable: string): string {
  return `{{${variable}}}`;
}

/** A variable name for a header or field name: lower case, `[a-z0-9_]` only (`Set-Cookie` → `set_cookie`). */
export function variableNameOf(name: string): string {
  const v = name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return v === '' ? 'secret' : /^[0-9]/.test(v) ? `_${v}` : v;
}

/** `{{name}}` placeholders in a text, each once, in order of appearance. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\{\{([a-z_][a-z0-9_]*)\}\}/g)].map((m) => m[1]!))];
}
