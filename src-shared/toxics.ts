/**
 * `toxics`: degraded traffic on purpose (delay, jitter, errors, resets, hangs, bandwidth, slow reads), in the
 * reference's shape (seed-traffic-recorder.txt, "Toxicity Simulation"): per protocol key (`http`, `websocket`,
 * `sse`, `grpc`), or the flat form of its chaos example, where `toxics.delayMs` at the top level means `http`.
 *
 * Beyond the reference: a protocol key may hold a list of toxic sets instead of one, each scoped by `match`
 * (method, path glob, host glob); for each request the first set whose `match` accepts it applies, alone (sets do
 * not add up). `failFirst`, `resetRate` and `timeoutRate` fail requests in the ways retry logic must survive.
 *
 * Only `http` takes effect today; `websocket`, `sse` and `grpc` are validated and kept with the session, and take
 * effect when those protocols are recorded. Plain data: the engine compiles it (pipeline/toxics-stage.ts).
 */
import { z } from 'zod';

/** 1 KB in `bandwidthKBps` and `slowReadKBps` (the reference's "KB/s"): 1,024 bytes. */
export const TOXIC_KB = 1024;

export const TOXIC_LIMITS = {
  /** Ten minutes, for `delayMs` and `delayJitter`. */
  maxDelayMs: 600_000,
  /** 1 GiB/s, for `bandwidthKBps` and `slowReadKBps`. */
  maxKBps: 1_048_576,
  maxFailFirst: 1_000_000,
  maxSets: 50,
  maxPatterns: 50,
  maxSeed: 0xffff_ffff,
} as const;

const HTTP_METHOD = /^[A-Za-z]+$/;

/** One string or a list of them: any one matching is enough. */
function oneOrMany(item: z.ZodString) {
  return z.union([item, z.array(item).min(1, 'give at least one').max(TOXIC_LIMITS.maxPatterns)]);
}

const glob = z.string().min(1, 'a pattern must not be empty').max(1024);

export const toxicMatchSchema = z
  .strictObject({
    method: oneOrMany(z.string().regex(HTTP_METHOD, 'a method is letters only').max(32)).optional()
      .describe('Request method(s), any case: "POST" or ["GET", "HEAD"].'),
    path: oneOrMany(glob).optional()
      .describe('Path glob(s), query string ignored: * matches any run of characters (/ included), ? one.'),
    host: oneOrMany(glob).optional()
      .describe('Host glob(s), case and port ignored: *.example.com matches every subdomain depth.'),
  })
  .describe('Which requests this toxic set applies to; every given dimension must match. Absent: every request.');

const rate = (what: string) =>
  z.number().min(0).max(1).optional().describe(`Fraction of matching requests (0.0 to 1.0) that ${what}.`);

const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const toxicSetSchema = z
  .strictObject({
    delayMs: int(0, TOXIC_LIMITS.maxDelayMs).optional().describe('Fixed latency (ms) added before the request goes upstream.'),
    delayJitter: int(0, TOXIC_LIMITS.maxDelayMs).optional()
      .describe('Uniform random jitter in the range ±jitter ms, on top of delayMs (the sum never goes below 0).'),
    errorRate: rate(`are answered with errorStatus by the proxy, never reaching the upstream`),
    errorStatus: int(400, 599).optional().describe('HTTP status of injected errors (400-599). Default: 503.'),
    bandwidthKBps: int(0, TOXIC_LIMITS.maxKBps).optional()
      .describe('Response body throughput in KB/s (1 KB = 1,024 bytes), per exchange, streamed. 0 = unlimited.'),
    slowReadKBps: int(0, TOXIC_LIMITS.maxKBps).optional()
      .describe('Request body read speed in KB/s (1 KB = 1,024 bytes), per exchange, streamed. 0 = unlimited.'),
    seed: int(0, TOXIC_LIMITS.maxSeed).optional()
      .describe('Seed of the random draws (errors, resets, timeouts, jitter): the same seed gives the same sequence.'),
    match: toxicMatchSchema.optional(),
    failFirst: int(0, TOXIC_LIMITS.maxFailFirst).optional()
      .describe('The first N matching requests are answered with errorStatus (to test retries), before any rate applies.'),
    resetRate: rate('get their connection reset, with no answer'),
    timeoutRate: rate('are held unanswered until the client gives up'),
  })
  .superRefine((set, ctx) => {
    const sum = (set.errorRate ?? 0) + (set.resetRate ?? 0) + (set.timeoutRate ?? 0);
    // One draw decides among them: they are shares of the same requests.
    if (sum > 1 + 1e-9) {
      const last = set.timeoutRate !== undefined ? 'timeoutRate' : set.resetRate !== undefined ? 'resetRate' : 'errorRate';
      ctx.addIssue({ code: 'custom', path: [last], message: `errorRate + resetRate + timeoutRate must be at most 1, got ${Number(sum.toFixed(6))}` });
    }
  });

export type ToxicSet = z.infer<typeof toxicSetSchema>;
export type ToxicMatch = z.infer<typeof toxicMatchSchema>;

/** One toxic set, or a list of them scoped by `match` (the first that matches a request applies). */
export const protocolToxicsSchema = z.union([toxicSetSchema, z.array(toxicSetSchema).max(TOXIC_LIMITS.maxSets)]);

export type ProtocolToxics = z.infer<typeof protocolToxicsSchema>;

export const TOXIC_PROTOCOLS = ['http', 'websocket', 'sse', 'grpc'] as const;
export type ToxicProtocol = (typeof TOXIC_PROTOCOLS)[number];

/** The fields of a toxic set, which may also stand at the top level (the flat form: they mean `http`). */
const SET_FIELDS = Object.keys(toxicSetSchema.shape) as Array<keyof ToxicSet>;

const later = (protocol: string) => protocolToxicsSchema.optional().describe(`Toxics for ${protocol}: accepted and kept, in effect once ${protocol} traffic is recorded.`);

/** The flat fields are those of a toxic set, checked the same way (errors name `toxics.errorRate`). */
const flatFields = toxicSetSchema.shape;

export const sessionToxicsSchema = z
  .strictObject({
    http: protocolToxicsSchema.optional().describe('HTTP toxics: one set, or a list of sets scoped by match (the first match applies).'),
    websocket: later('WebSocket'),
    sse: later('SSE'),
    grpc: later('gRPC'),
    ...flatFields,
  })
  .superRefine((toxics, ctx) => {
    const flat = SET_FIELDS.filter((field) => toxics[field] !== undefined);
    if (flat.length === 0) return;
    if (toxics.http !== undefined) {
      ctx.addIssue({ code: 'custom', path: [flat[0]!], message: 'give the http toxics under "http" or at the top level (the flat form), not both' });
      return;
    }
    // The flat form is one http set: the rule between its rates holds there too.
    const checked = toxicSetSchema.safeParse(Object.fromEntries(flat.map((field) => [field, toxics[field]])));
    if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message });
  })
  .describe(
    'Degraded traffic on purpose, per protocol key (http; websocket, sse and grpc are kept for later), or flat ' +
      '(top-level fields mean http). Fields: delayMs, delayJitter, errorRate, errorStatus, bandwidthKBps, slowReadKBps, ' +
      'seed, match, failFirst, resetRate, timeoutRate.',
  );

export type SessionToxics = z.infer<typeof sessionToxicsSchema>;

/** The http toxic sets of a session's toxics, in order, whichever form they were written in. */
export function httpToxicSets(toxics: SessionToxics | undefined): ToxicSet[] {
  if (!toxics) return [];
  if (toxics.http !== undefined) return Array.isArray(toxics.http) ? toxics.http : [toxics.http];
  const flat: Record<string, unknown> = {};
  for (const field of SET_FIELDS) if (toxics[field] !== undefined) flat[field] = toxics[field];
  return Object.keys(flat).length > 0 ? [flat] : [];
}

/** Whether a set changes anything at all (a set of zeros is no toxic). */
export function isActiveToxicSet(set: ToxicSet): boolean {
  return (
    (set.delayMs ?? 0) > 0 ||
    (set.delayJitter ?? 0) > 0 ||
    (set.errorRate ?? 0) > 0 ||
    (set.bandwidthKBps ?? 0) > 0 ||
    (set.slowReadKBps ?? 0) > 0 ||
    (set.failFirst ?? 0) > 0 ||
    (set.resetRate ?? 0) > 0 ||
    (set.timeoutRate ?? 0) > 0
  );
}

/** `PUT /:id/toxics`: the reference's shape for live rule updates (as `PUT /:id/modifications` takes `{modifications}`). */
export const toxicsUpdateSchema = z.strictObject({ toxics: sessionToxicsSchema });

/**
 * What the toxics did to one exchange, on its entry (`injected`). `kind` is what decided its fate: an answer the
 * proxy made up (`error`), a reset connection, a request held until the client gave up (`timeout`); else the
 * shaping it got (`delay`, then `bandwidth`, then `slowRead`, the first that applies). The other fields say all of it.
 */
export interface InjectedToxic {
  kind: 'error' | 'reset' | 'timeout' | 'delay' | 'bandwidth' | 'slowRead';
  /** For error, reset and timeout: which rule chose it. */
  cause?: 'failFirst' | 'errorRate' | 'resetRate' | 'timeoutRate';
  /** The status of an injected error. */
  status?: number;
  /** The delay this exchange got before going upstream, jitter included. */
  delayMs?: number;
  bandwidthKBps?: number;
  slowReadKBps?: number;
  /** The index of the toxic set in a list of sets (`toxics.http[set]`); absent for a single set. */
  set?: number;
}
