/**
 * Modification rules (src-shared/modifications.ts) as one stage, placed after capture so the entry's `request` is
 * what the app sent:
 *
 * - `onRequestHead`: `requestHeaders` rules on `exchange.target.headers`, `urlRewrites` on `exchange.target.path`
 *   (path and query sent upstream); capture records what went upstream as the entry's `upstreamRequest`;
 * - `onResponseHead`: `responseHeaders` rules on the head the app gets; when `bodyReplacements` exist and the
 *   response has a body in an encoding we decode (identity, gzip, deflate, br), Content-Encoding and
 *   Content-Length are dropped (the app gets identity, chunked: the stage adds Transfer-Encoding for HTTP/1.1);
 * - `responseBody`: the body through ReplacingBody (modify-body.ts), collected up to `bound` only for those.
 *
 * What it did goes on `exchange.modified` (the entry's `modified`). No rule: no stage.
 */
import { regexLiteralPrefix } from '../../../src-shared/mock-routes.js';
import { RE2JS } from 're2js';
import { isEmptyModifications, type ModifiedExchange, type SessionModifications } from '../../../src-shared/modifications.js';
import { compileHeaderRules, headerValue, pairs, removeHeader } from './modify-headers.js';
import { compileReplacements, ReplacingBody, type BodyEncoding, type ReplaceOptions } from './modify-body.js';
import type { Exchange, ResponseHead, Stage } from './stage.js';

type RuleList = 'requestHeaders' | 'responseHeaders' | 'urlRewrites' | 'bodyReplacements';

/** Bodies larger than this (decoded) pass through unchanged, and the entry says so. */
export const BODY_REPLACEMENT_BOUND = 8 * 1024 * 1024;

const STREAMED_OR_BINARY = /^\s*(text\/event-stream|application\/grpc|application\/octet-stream|image\/|audio\/|video\/|font\/)/i;

const DECODED: ReadonlySet<string> = new Set(['identity', 'gzip', 'x-gzip', 'deflate', 'br']);

export interface ModifyStageOptions {
  /** The capture limit: how much of the original body the entry keeps. */
  bodyLimit: number;
  bound?: number;
  /** How long the body rules may take on one body, and which bodies they run on in place (modify-pool.ts). */
  replace?: ReplaceOptions;
}

export function modifyStage(modifications: SessionModifications | undefined, options: ModifyStageOptions): Stage | undefined {
  if (!modifications || isEmptyModifications(modifications)) return undefined;
  const requestHeaders = modifications.requestHeaders ?? [];
  const responseHeaders = modifications.responseHeaders ?? [];
  const onRequestHeaders = compileHeaderRules(requestHeaders);
  const onResponseHeaders = compileHeaderRules(responseHeaders);
  const rewrites = (modifications.urlRewrites ?? []).map((rule, index) => ({ index, regex: RE2JS.compile(rule.match), replace: rule.replace, cannotMatch: literalCheck(rule.match) }));
  const replacements = compileReplacements(modifications.bodyReplacements ?? []);
  const bound = options.bound ?? BODY_REPLACEMENT_BOUND;
  const encodings = new WeakMap<Exchange, BodyEncoding>();

  // The entry's labels of the rules (`requestHeaders[3]`), made once rather than on every exchange.
  const labels: Record<RuleList, Array<`${RuleList}[${number}]`>> = {
    requestHeaders: requestHeaders.map((_, i) => `requestHeaders[${i}]` as const),
    responseHeaders: responseHeaders.map((_, i) => `responseHeaders[${i}]` as const),
    urlRewrites: rewrites.map((_, i) => `urlRewrites[${i}]` as const),
    bodyReplacements: [],
  };
  const note = (exchange: Exchange, list: RuleList, indexes: number[]): ModifiedExchange => {
    const modified = (exchange.modified ??= { rules: [] });
    for (const i of indexes) modified.rules.push(labels[list][i] ?? `${list}[${i}]`);
    return modified;
  };

  return {
    name: 'modifications',
    onRequestHead(exchange) {
      if (exchange.answer) return;
      const { target } = exchange;
      if (requestHeaders.length > 0) {
        const { headers, applied } = onRequestHeaders(target.headers);
        if (applied.length > 0) {
          target.headers = headers;
          note(exchange, 'requestHeaders', applied);
        }
      }
      for (const rule of rewrites) {
        // A string comparison first: RE2JS costs ~10 µs a call, per rule, on every request.
        if (rule.cannotMatch(target.path)) continue;
        const matcher = rule.regex.matcher(target.path);
        if (!matcher.find()) continue;
        const path = matcher.reset().replaceAll(rule.replace);
        target.path = path.startsWith('/') || path === '*' ? path : `/${path}`;
        note(exchange, 'urlRewrites', [rule.index]);
      }
    },
    onResponseHead(exchange, head) {
      // Never changed in place below (every change makes a new list), so it is the head as it came.
      const before = head.headers;
      let changed = false;
      if (responseHeaders.length > 0) {
        const { headers, applied } = onResponseHeaders(head.headers);
        if (applied.length > 0) {
          head.headers = headers;
          note(exchange, 'responseHeaders', applied);
          changed = true;
        }
      }
      const encoding = replacements.length > 0 ? bodyEncoding(exchange, head) : undefined;
      if (encoding) {
        encodings.set(exchange, encoding);
        head.headers = removeHeader(removeHeader(head.headers, 'content-length'), 'content-encoding');
        // The forwarder took framing out of Node's hands (it removed Node's own framing headers): a body whose
        // length changes is chunked, said here, or an HTTP/1.0 client's connection closes after it.
        const http10 = exchange.req.httpVersionMajor === 1 && exchange.req.httpVersionMinor === 0;
        if (!http10 && headerValue(head.headers, 'transfer-encoding') === undefined) head.headers.push('Transfer-Encoding', 'chunked');
        const modified = note(exchange, 'bodyReplacements', []);
        modified.originalResponse = { headers: pairs(before), ...(encoding !== 'identity' ? { contentEncoding: encoding } : {}) };
      } else if (changed) {
        exchange.modified!.originalResponse = { headers: pairs(before) };
      }
    },
    responseBody(exchange) {
      const encoding = encodings.get(exchange);
      if (!encoding) return undefined;
      const body = new ReplacingBody(replacements, bound, encoding, (outcome) => {
        const modified = (exchange.modified ??= { rules: [] });
        for (const i of outcome.applied) modified.rules.push(`bodyReplacements[${i}]`);
        if (outcome.tooLarge) modified.bodyTooLarge = { limit: bound };
        else if (outcome.timedOut) {
          const { rule, budgetMs } = outcome.timedOut;
          modified.bodyReplacementTimedOut = rule === undefined ? { budgetMs } : { budgetMs, rule: `bodyReplacements[${rule}]` };
        } else if (outcome.original && outcome.applied.length > 0) {
          const original = (modified.originalResponse ??= {});
          const kept = outcome.original.subarray(0, options.bodyLimit);
          original.body = kept.toString('utf8');
          if (kept.length < outcome.original.length) original.bodyTruncated = true;
        }
      }, options.replace);
      // pipe() does not pass a client's departure down the chain: without this, a body whose client left would
      // keep its replacement worker to the end of its budget while other clients' bodies wait.
      exchange.res.once('close', () => {
        if (!exchange.res.writableFinished) body.destroy();
      });
      return body;
    },
  };
}

/** The encoding to decode, or undefined when the body is left alone (none, or an encoding we do not decode). */
function bodyEncoding(exchange: Exchange, head: ResponseHead): BodyEncoding | undefined {
  if (exchange.req.method === 'HEAD' || head.statusCode === 204 || head.statusCode === 304 || head.statusCode < 200) return undefined;
  // Streams (SSE) must not wait for an end that may never come, and media is no text to replace in.
  if (STREAMED_OR_BINARY.test(headerValue(head.headers, 'content-type') ?? '')) return undefined;
  const raw = (headerValue(head.headers, 'content-encoding') ?? 'identity').trim().toLowerCase();
  if (!DECODED.has(raw)) return undefined;
  return raw === 'x-gzip' ? 'gzip' : (raw as BodyEncoding);
}

/** True for a path no match of `pattern` can be in: it lacks the literal text every match starts with. */
function literalCheck(pattern: string): (path: string) => boolean {
  const literal = regexLiteralPrefix(pattern);
  if (literal === '') return () => false;
  return pattern.startsWith('^') ? (path) => !path.startsWith(literal) : (path) => !path.includes(literal);
}
