/**
 * `modifications`: rules that change what goes upstream and what the app receives, in the reference's shape
 * (seed-traffic-recorder.txt, "Modification Rules"): `requestHeaders` and `responseHeaders` (`add`, `replace`,
 * `remove`), `urlRewrites` (a regex `match` on the path and query, `$1` capture groups in `replace`) and
 * `bodyReplacements` on response bodies (plain text, or a regex with `isRegex: true`). Each list applies in order.
 *
 * Every regex runs on RE2 (the `re2js` package: pure JavaScript, linear time, no backtracking), and is validated
 * here with that same engine, so a pattern that passes validation is the one that runs. Linear is not free on a big
 * body (`(a+)+$` on 8 MiB is seconds of RE2JS), so large body replacements run in a worker pool with a time budget
 * (pipeline/modify-pool.ts). RE2 has no lookaround and no backreferences in `match`.
 * Plain data: the engine compiles it (pipeline/modify-*.ts).
 */
import { RE2JS } from 're2js';
import { z } from 'zod';

export const MODIFICATION_LIMITS = {
  maxRules: 100,
  maxName: 256,
  maxValue: 8192,
  maxPattern: 4096,
  maxReplacement: 65_536,
} as const;

/** Header names as RFC 9110 allows them (a token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerName = z.string().min(1, 'a header name must not be empty').max(MODIFICATION_LIMITS.maxName).regex(TOKEN, 'is not a valid header name');
// eslint-disable-next-line no-control-regex -- the point is to refuse control characters in a header value
const headerValue = z.string().max(MODIFICATION_LIMITS.maxValue).regex(/^[^\x00-\x08\x0a-\x1f\x7f]*$/, 'must not hold control characters (CR, LF...)');

export const headerRuleSchema = z
  .strictObject({
    action: z.enum(['add', 'replace', 'remove'], { error: 'must be one of add, replace, remove' }),
    name: headerName,
    value: headerValue.optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.action !== 'remove' && rule.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `is required for ${rule.action}` });
  })
  .describe('add: one more header of that name; replace: every header of that name becomes one with this value (added when absent); remove: every header of that name goes. Names ignore case.');

export type HeaderRule = z.infer<typeof headerRuleSchema>;

/** Compiles with the engine that runs it; undefined and the reason when it does not compile. */
export function compileRegex(pattern: string): { regex: RE2JS } | { error: string } {
  try {
    return { regex: RE2JS.compile(pattern) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

const regex = z
  .string()
  .min(1, 'a pattern must not be empty')
  .max(MODIFICATION_LIMITS.maxPattern)
  .superRefine((pattern, ctx) => {
    const compiled = compileRegex(pattern);
    if ('error' in compiled) ctx.addIssue({ code: 'custom', message: `is not a valid regex (RE2 syntax): ${compiled.error}` });
  });

export const urlRewriteSchema = z
  .strictObject({
    match: regex.describe('RE2 regex searched in the path and query (e.g. "/api/v1/(.*)"); every match is replaced.'),
    replace: z.string().max(MODIFICATION_LIMITS.maxValue).describe('Replacement; $1, $2... are capture groups, $$ a dollar sign.'),
  })
  .superRefine((rule, ctx) => {
    const compiled = compileRegex(rule.match);
    if ('regex' in compiled) checkGroups(rule.replace, compiled.regex, ctx);
  });

export type UrlRewrite = z.infer<typeof urlRewriteSchema>;

export const bodyReplacementSchema = z
  .strictObject({
    match: z.string().min(1, 'a pattern must not be empty').max(MODIFICATION_LIMITS.maxPattern),
    replace: z.string().max(MODIFICATION_LIMITS.maxReplacement),
    isRegex: z.boolean().optional().describe('true: match is an RE2 regex and replace may use $1...; false or absent: plain text.'),
  })
  .superRefine((rule, ctx) => {
    if (!rule.isRegex) return;
    const compiled = compileRegex(rule.match);
    if ('error' in compiled) ctx.addIssue({ code: 'custom', path: ['match'], message: `is not a valid regex (RE2 syntax): ${compiled.error}` });
    else checkGroups(rule.replace, compiled.regex, ctx);
  })
  .describe('Text replaced in response bodies (every occurrence, across chunk boundaries, gzip/deflate/br bodies decoded first).');

export type BodyReplacement = z.infer<typeof bodyReplacementSchema>;

/** A `$n` naming a group the regex does not have would fail at run time: refuse it here. */
function checkGroups(replace: string, regex: RE2JS, ctx: z.RefinementCtx): void {
  const groups = regex.groupCount();
  for (const m of replace.matchAll(/\$(\$|\d+|\{[^}]*\})/g)) {
    const ref = m[1]!;
    if (ref === '$') continue;
    const n = Number(ref.replace(/[{}]/g, ''));
    if (!Number.isInteger(n) || n > groups) {
      ctx.addIssue({ code: 'custom', path: ['replace'], message: `refers to group ${ref} but the regex has ${groups}` });
      return;
    }
  }
}

const rules = <T extends z.ZodType>(rule: T) => z.array(rule).max(MODIFICATION_LIMITS.maxRules, `at most ${MODIFICATION_LIMITS.maxRules} rules`).optional();

export const sessionModificationsSchema = z
  .strictObject({
    requestHeaders: rules(headerRuleSchema).describe('Rules on the request headers sent upstream, in order.'),
    responseHeaders: rules(headerRuleSchema).describe('Rules on the response headers the app receives, in order.'),
    urlRewrites: rules(urlRewriteSchema).describe('Regex rewrites of the path and query sent upstream, in order.'),
    bodyReplacements: rules(bodyReplacementSchema).describe('Replacements in response bodies, in order.'),
  })
  .describe('Request/response modification rules: requestHeaders, responseHeaders, urlRewrites, bodyReplacements. Each list applies in order.');

export type SessionModifications = z.infer<typeof sessionModificationsSchema>;

/** `PUT /:id/modifications`, the reference's body: `{"modifications": {...}}`. */
export const modificationsUpdateSchema = z.strictObject({ modifications: sessionModificationsSchema });

/** Modifications with no rule at all: none (nothing is stored, no stage runs). */
export function isEmptyModifications(m: SessionModifications | undefined): boolean {
  return !m || Object.values(m).every((list) => list === undefined || list.length === 0);
}

/** One rule that changed an exchange, as the entry lists it: `requestHeaders[0]`, `bodyReplacements[2]`... */
export type AppliedRule = `${'requestHeaders' | 'responseHeaders' | 'urlRewrites' | 'bodyReplacements'}[${number}]`;

/**
 * What the modification rules did to one exchange, on its entry (`modified`). The request as the app sent it is
 * the entry's `request`; what went upstream is its `upstreamRequest` (URL and headers after the rules); the
 * response the app received is its `response`. `originalResponse` is the upstream's response before the rules:
 * its headers when a response-header rule changed them, its body (decoded, up to the capture limit) when a body
 * replacement changed it.
 */
export interface ModifiedExchange {
  /** The rules that changed something, in the order they applied. */
  rules: AppliedRule[];
  originalResponse?: {
    headers?: Array<[string, string]>;
    /** The body before replacement, as text (UTF-8), decoded from its Content-Encoding, cut at the capture limit. */
    body?: string;
    bodyTruncated?: boolean;
    /** The Content-Encoding the upstream used, dropped from what the app received (it gets identity). */
    contentEncoding?: string;
  };
  /** The body was larger than the replacement bound and passed through unchanged. */
  bodyTooLarge?: { limit: number };
  /**
   * The body replacements ran past their time budget and the body passed through unchanged (no body rule applied):
   * `rule` is the one that was running (absent: the body was still waiting for a replacement worker).
   */
  bodyReplacementTimedOut?: { budgetMs: number; rule?: `bodyReplacements[${number}]` };
}
