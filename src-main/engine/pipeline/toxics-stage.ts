/**
 * Toxics (src-shared/toxics.ts): the session's http toxic sets compiled into one stage. For each request the
 * first set whose `match` accepts it decides, once, in `answerLocally` (after every head hook, so a request the
 * upstream policy or the loop check refused is never delayed, counted or failed):
 *
 * - an injected error (`failFirst`, then `errorRate`) is answered here with `errorStatus`: it never reaches the
 *   upstream, and capture, which began in its own head hook, records it;
 * - a reset (`resetRate`) closes the client's connection with a TCP reset, a timeout (`timeoutRate`) leaves the
 *   request unanswered until the client gives up (proxy-session.ts carries out such withheld answers);
 * - otherwise the request waits `delayMs` ± `delayJitter` before going upstream (`exchange.delayMs`), and its
 *   bodies stream through throttles: the request's at `slowReadKBps`, the response's at `bandwidthKBps`.
 *
 * One draw per matching request decides among error, reset and timeout, from the set's own random source (seeded
 * by its `seed`), so a seed gives the same sequence for the same requests in the same order. Counts (`failFirst`)
 * and sequences belong to the compiled stage: replacing the toxics starts them afresh. The entry says what was
 * done (`exchange.injected`, copied to the entry by capture).
 */
import { STATUS_CODES } from 'node:http';
import { compileGlobs, type GlobMatcher } from '../../../src-shared/glob.js';
import { TOXIC_KB, httpToxicSets, isActiveToxicSet, type InjectedToxic, type SessionToxics, type ToxicSet } from '../../../src-shared/toxics.js';
import { hostOf } from '../filters/scope-filter.js';
import { randomSources, type Random } from '../shaping/random.js';
import { Throttle } from '../shaping/throttle.js';
import type { Exchange, LocalAnswer, Stage } from './stage.js';

const DEFAULT_ERROR_STATUS = 503;

interface CompiledSet {
  matches(method: string, url: URL): boolean;
  decide(exchange: Exchange): LocalAnswer | undefined;
}

/** No stage when no set does anything: a session without toxics pays nothing for them. */
export function toxicsStage(toxics: SessionToxics | undefined): Stage | undefined {
  const sets = httpToxicSets(toxics);
  if (!sets.some(isActiveToxicSet)) return undefined;
  const listed = Array.isArray(toxics?.http);
  const compiled = sets.map((set, index) => compileSet(set, listed ? index : undefined));
  const throttlesRequests = sets.some((s) => (s.slowReadKBps ?? 0) > 0);
  const throttlesResponses = sets.some((s) => (s.bandwidthKBps ?? 0) > 0);
  return {
    name: 'toxics',
    answerLocally(exchange: Exchange) {
      const method = exchange.req.method ?? 'GET';
      for (const set of compiled) if (set.matches(method, exchange.url)) return set.decide(exchange);
      return undefined;
    },
    ...(throttlesRequests ? { requestBody: (exchange: Exchange) => throttle(exchange.injected?.slowReadKBps) } : {}),
    ...(throttlesResponses ? { responseBody: (exchange: Exchange) => throttle(exchange.injected?.bandwidthKBps) } : {}),
  };
}

function throttle(kbps: number | undefined): Throttle | undefined {
  return kbps ? new Throttle(kbps * TOXIC_KB) : undefined;
}

function compileSet(set: ToxicSet, index: number | undefined): CompiledSet {
  const matches = compileMatch(set);
  const { fate, jitter } = randomSources(set.seed);
  const errorRate = set.errorRate ?? 0;
  const resetRate = set.resetRate ?? 0;
  const timeoutRate = set.timeoutRate ?? 0;
  const drawsFate = errorRate + resetRate + timeoutRate > 0;
  const status = set.errorStatus ?? DEFAULT_ERROR_STATUS;
  const failFirst = set.failFirst ?? 0;
  const where = index === undefined ? 'toxics.http' : `toxics.http[${index}]`;
  const at = index === undefined ? {} : { set: index };
  let seen = 0;

  const fail = (exchange: Exchange, cause: 'failFirst' | 'errorRate', why: string): LocalAnswer => {
    exchange.injected = { kind: 'error', cause, status, ...at };
    return { status, message: STATUS_CODES[status] ?? 'Error', text: `Traffic Recorder: error injected by ${where}.${cause} (${why})\n` };
  };

  return {
    matches,
    decide(exchange) {
      seen++;
      if (seen <= failFirst) return fail(exchange, 'failFirst', `request ${seen} of the first ${failFirst}`);
      if (drawsFate) {
        const u = fate();
        if (u < errorRate) return fail(exchange, 'errorRate', `rate ${errorRate}`);
        if (u < errorRate + resetRate) {
          exchange.injected = { kind: 'reset', cause: 'resetRate', ...at };
          return withheld('reset', { code: 'TOXIC_RESET', detail: `the connection was reset by ${where}.resetRate (rate ${resetRate})` });
        }
        if (u < errorRate + resetRate + timeoutRate) {
          exchange.injected = { kind: 'timeout', cause: 'timeoutRate', ...at };
          return withheld('hold', { code: 'TOXIC_TIMEOUT', detail: `held unanswered by ${where}.timeoutRate (rate ${timeoutRate}) until the client gave up` });
        }
      }
      const shaped = shaping(set, jitter, at);
      if (shaped) {
        exchange.injected = shaped;
        if (shaped.delayMs) exchange.delayMs = shaped.delayMs;
      }
      return undefined;
    },
  };
}

function withheld(withhold: 'reset' | 'hold', failure: { code: string; detail: string }): LocalAnswer {
  return { status: 0, message: '', withhold, failure };
}

/** What a forwarded request gets: the delay drawn for it, and its bodies' rates. Undefined when nothing. */
function shaping(set: ToxicSet, jitter: Random, at: { set?: number }): InjectedToxic | undefined {
  const spread = set.delayJitter ?? 0;
  const delayMs = Math.max(0, Math.round((set.delayMs ?? 0) + (spread > 0 ? (jitter() * 2 - 1) * spread : 0)));
  const bandwidthKBps = set.bandwidthKBps ?? 0;
  const slowReadKBps = set.slowReadKBps ?? 0;
  const kind = delayMs > 0 ? 'delay' : bandwidthKBps > 0 ? 'bandwidth' : slowReadKBps > 0 ? 'slowRead' : undefined;
  if (!kind) return undefined;
  return {
    kind,
    ...(delayMs > 0 ? { delayMs } : {}),
    ...(bandwidthKBps > 0 ? { bandwidthKBps } : {}),
    ...(slowReadKBps > 0 ? { slowReadKBps } : {}),
    ...at,
  };
}

const HOSTS = { caseInsensitive: true };

function list(value: string | string[] | undefined): string[] | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}

/** Every given dimension must match; globs as the scope filters use them (hosts without case or port, paths without the query). */
function compileMatch(set: ToxicSet): (method: string, url: URL) => boolean {
  const match = set.match;
  const methods = list(match?.method);
  const methodSet = methods ? new Set(methods.map((m) => m.toUpperCase())) : undefined;
  const path: GlobMatcher | undefined = compileGlobs(list(match?.path));
  const host: GlobMatcher | undefined = compileGlobs(list(match?.host), HOSTS);
  if (!methodSet && !path && !host) return () => true;
  return (method, url) =>
    (!methodSet || methodSet.has(method.toUpperCase())) && (!path || path(url.pathname || '/')) && (!host || host(hostOf(url)));
}
