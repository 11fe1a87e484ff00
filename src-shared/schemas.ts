/**
 * Input schemas shared by every boundary (REST, IPC, config files, CLI). A bad input becomes an ApiError
 * that names the offending field; nothing here throws anything else.
 */
import { z } from 'zod';
import { ApiError } from './errors.js';
import { mapLocalConfigSchema } from './mocks.js';
import { sessionModificationsSchema } from './modifications.js';
import { sessionToxicsSchema } from './toxics.js';

export const PORT_RANGE = { start: 8081, end: 8999 } as const;

/** Upper bounds for every input: whatever is accepted is stored and sent back on every listing. */
export const INPUT_LIMITS = {
  url: 8192,
  name: 200,
  id: 200,
  path: 4096,
  searchText: 10_000,
} as const;

const globList = z.array(z.string().min(1, 'a pattern must not be empty').max(1024)).max(500);

export const scopeFiltersSchema = z.strictObject({
  includeHosts: globList.optional(),
  excludeHosts: globList.optional(),
  includePaths: globList.optional(),
  excludePaths: globList.optional(),
  includeMethods: z.array(z.string().regex(/^[A-Za-z]+$/, 'a method is letters only').max(32)).max(50).optional(),
  excludeStatus: z.array(z.number().int().min(100).max(999)).max(900).optional(),
});

/** Options the reference defines that this engine does not implement yet: refused, never ignored. None today. */
export const NOT_YET_SUPPORTED_OPTIONS: ReadonlyArray<keyof StartSessionInput> = [];

export const mitmConfigSchema = z
  .strictObject({
    enabled: z.boolean(),
    /** Only these hosts are intercepted (globs); the rest pass through blind. */
    includeHosts: globList.optional(),
    /** These hosts pass through blind (globs); the rest are intercepted. */
    excludeHosts: globList.optional(),
  })
  .refine((m) => !(m.includeHosts?.length && m.excludeHosts?.length), {
    message: 'give includeHosts or excludeHosts, not both',
  });

const httpUrl = z.string().max(INPUT_LIMITS.url, { abort: true }).refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'must be an absolute http:// or https:// URL');

export const startSessionSchema = z
  .strictObject({
    // The descriptions are the UI's JSON editor's hover text: its JSON Schema is generated from this one.
    name: z.string().max(INPUT_LIMITS.name).optional().describe('Human-readable label. Auto-generated if empty.'),
    mode: z.enum(['reverse', 'forward'], { error: 'must be "reverse" or "forward"' }).optional()
      .describe('"reverse" forwards to targetUrl; "forward" is an HTTP(S) proxy for HTTP_PROXY/HTTPS_PROXY. Default: reverse.'),
    targetUrl: httpUrl.optional().describe('Upstream base URL (http:// or https://); a path prefix is kept. Required for reverse mode.'),
    listenPort: z.number().int().min(0).max(65535).optional()
      .describe(`Port the proxy listens on; 0 or absent = the first free one of ${PORT_RANGE.start}-${PORT_RANGE.end}.`),
    /** Alias used by some SDKs. */
    port: z.number().int().min(0).max(65535).optional().describe('Alias of listenPort.'),
    listenHost: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address such as 127.0.0.1 or 0.0.0.0' }).optional()
      .describe('Address to bind, 127.0.0.1 by default; 0.0.0.0 exposes the proxy to the network.'),
    namespace: z.string().min(1).max(INPUT_LIMITS.name).regex(/^[\w.-]+$/, 'letters, digits, ".", "_" and "-" only').optional()
      .describe('Mockarty namespace ("default").'),
    filters: scopeFiltersSchema.optional().describe(
      'Which requests are recorded (never what is forwarded). An empty list allows all. Patterns are globs: * matches ' +
        'any run of characters, / included (/v1/* records everything below /v1/), ? one character; hosts ignore case ' +
        'and the port (*.example.com matches every subdomain depth), paths ignore the query string.',
    ),
    toxics: sessionToxicsSchema.optional(),
    modifications: sessionModificationsSchema.optional(),
    mitm: mitmConfigSchema.optional()
      .describe('Forward mode: decrypt HTTPS with the install CA. includeHosts (only these) or excludeHosts (all but these), not both.'),
    /** Accept upstream certificates that do not verify (self-signed staging servers); entries say so. */
    ignoreUpstreamCertErrors: z.boolean().optional()
      .describe('Accept upstream certificates that do not verify (self-signed staging servers); each entry says so.'),
    mapLocal: mapLocalConfigSchema.optional(),
  })
  .superRefine((value, ctx) => {
    const mode = value.mode ?? 'reverse';
    if (mode === 'reverse' && !value.targetUrl) {
      ctx.addIssue({ code: 'custom', path: ['targetUrl'], message: 'is required for a reverse-proxy session' });
    }
    if (mode === 'reverse' && value.mitm?.enabled) {
      ctx.addIssue({ code: 'custom', path: ['mitm'], message: 'applies to forward-proxy sessions only' });
    }
    if (value.listenPort !== undefined && value.port !== undefined && value.listenPort !== value.port) {
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'disagrees with listenPort' });
    }
  });

export type StartSessionInput = z.infer<typeof startSessionSchema>;

/** `POST /:id/restart`: with keepPort, a taken port is a 409 naming its holder instead of a silent move elsewhere. */
export const restartSessionSchema = z.strictObject({
  keepPort: z.boolean().optional(),
});

export type RestartSessionInput = z.infer<typeof restartSessionSchema>;

export const patchEntrySchema = z
  .strictObject({
    tags: z.array(z.string().trim().min(1, 'a tag must not be empty').max(100)).max(100).optional(),
    notes: z.string().max(100_000).optional(),
  })
  .refine((v) => v.tags !== undefined || v.notes !== undefined, { message: 'give "tags" or "notes"' });

export type PatchEntryInput = z.infer<typeof patchEntrySchema>;

export const intFromQuery = (name: string, min: number, max: number, fallback: number) =>
  z
    .union([z.string(), z.number()])
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return fallback;
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

/**
 * A boolean as a query string or a structured value carries it: true, false, "true", "false", "1", "0"; absent
 * means `fallback`.
 */
export function queryBoolean(fallback: boolean) {
  const spelled = ['true', 'false', '1', '0'] as const;
  return z
    .union([z.boolean(), z.enum(spelled)], { error: (issue) => `must be one of true, false, ${spelled.map((v) => `"${v}"`).join(', ')}, got ${valueOf(issue.input)}` })
    .optional()
    .transform((v) => (v === undefined ? fallback : v === true || v === 'true' || v === '1'));
}

export const entriesQuerySchema = z.object({
  offset: intFromQuery('offset', 0, Number.MAX_SAFE_INTEGER, 0),
  limit: intFromQuery('limit', 1, 1000, 100),
  bodies: queryBoolean(true),
});

export const portCheckQuerySchema = z.object({
  port: intFromQuery('port', 1, 65535, 0).refine((p) => p > 0, 'port is required'),
});

/** `GET /:id/entries/search?q=text`: one text; a repeated `q` is refused rather than guessed at. */
export const searchQuerySchema = z.object({
  q: z
    .string({ error: (issue) => (Array.isArray(issue.input) ? 'give q only once' : undefined) })
    .max(INPUT_LIMITS.searchText)
    .optional()
    .transform((q) => q ?? ''),
  /** At most this many ids, oldest first. */
  limit: intFromQuery('limit', 1, 10_000, 1000),
});

/** Parse `value` with `schema`, turning the first problem into an ApiError naming its field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.output<S> {
  // reportInput: without it zod leaves `input` off every issue, and a wrong type looks like a missing field.
  const result = schema.safeParse(value, { reportInput: true, error: defaultMessage });
  if (result.success) return result.data;
  const first = result.error.issues[0];
  if (!first) throw new ApiError('bad_request', `invalid ${what}`);
  const issue = chosenBranch(first);
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    const where = field ? `${field}: ` : '';
    return failWith(`${where}unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}`, field ? `${field}.${issue.keys[0]}` : issue.keys[0]);
  }
  if (!field) {
    // Only the body (or the whole parameter object) sits at the root: say so, whatever the schema's wording.
    if (issue.code === 'invalid_type') return failWith(`body: expected a JSON object (${what}), got ${kindOf(issue.input)}`, 'body');
    return failWith(`invalid ${what}: ${issue.message}`, undefined);
  }
  return failWith(`${field}: ${describeIssue(issue)}`, field);
}

/**
 * A union the input's type already chose a branch of (an object where the union takes an object or a list): that
 * branch's own first problem (`toxics.http.delayMs: expected an integer`), not "Invalid input". zod itself does this
 * only when the branch's problem is not one that stops parsing (a wrong type inside it is).
 */
function chosenBranch(issue: Issue): Issue {
  while (issue.code === 'invalid_union') {
    const typed = issue.errors.filter((branch) => !(branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0].path.length === 0));
    const inner = typed.length === 1 ? typed[0]![0] : undefined;
    // Only a problem inside the branch (a field of an object, an item of a list) says more than the union's own words.
    if (!inner || inner.path.length === 0) return issue;
    issue = { ...inner, path: [...issue.path, ...inner.path] };
  }
  return issue;
}

function failWith(message: string, field: string | undefined): never {
  throw new ApiError('bad_request', message, field);
}

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

/** A schema's own wording wins; a wrong type still says what came instead. */
function describeIssue(issue: Issue): string {
  const typeMismatch = expectedTypes(issue);
  if (typeMismatch && issue.input !== undefined && !issue.message.startsWith('expected ')) {
    return `${issue.message} (expected ${typeMismatch}, got ${kindOf(issue.input)})`;
  }
  if (issue.code === 'invalid_value' && issue.input !== undefined && !issue.message.includes(', got ')) {
    return `${issue.message}, got ${valueOf(issue.input)}`;
  }
  return issue.message;
}

/** Messages for issues whose schema gave none: which type or range was expected, and what came. */
function defaultMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `expected ${article(issue.expected)}, got ${kindOf(issue.input)}`;
    case 'invalid_union': {
      const types = expectedTypes(issue as Issue);
      return types ? `expected ${types}, got ${kindOf(issue.input)}` : undefined;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_big':
      return bound('at most', issue.origin, issue.maximum);
    case 'too_small':
      return issue.origin === 'string' && Number(issue.minimum) === 1 ? 'must not be empty' : bound('at least', issue.origin, issue.minimum);
    default:
      return undefined;
  }
}

function bound(relation: string, origin: string, limit: number | bigint): string | undefined {
  switch (origin) {
    case 'string': return `must be ${relation} ${limit} characters long`;
    case 'array':
    case 'set': return `must have ${relation} ${limit} items`;
    case 'number':
    case 'int':
    case 'bigint': return `must be ${relation} ${limit}`;
    default: return undefined;
  }
}

/** "a string or a number" when the input failed on its type alone (in every branch of a union). */
function expectedTypes(issue: Issue): string | undefined {
  if (issue.code === 'invalid_type') return article(issue.expected);
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return undefined;
  const expected: string[] = [];
  for (const branch of issue.errors) {
    const first = branch[0];
    if (branch.length !== 1 || first?.code !== 'invalid_type' || first.path.length > 0) return undefined;
    const name = article(first.expected);
    if (!expected.includes(name)) expected.push(name);
  }
  return expected.join(' or ');
}

function article(type: string): string {
  const word = type === 'int' ? 'integer' : type === 'object' ? 'JSON object' : type;
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}

function kindOf(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'number' && !Number.isInteger(input)) return 'a fractional number';
  return article(typeof input);
}

function valueOf(input: unknown): string {
  if (typeof input !== 'string') return kindOf(input);
  return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
}

export const trustOperationSchema = z.strictObject({
  scope: z.enum(['user', 'system', 'all'], { error: 'must be "user", "system" or "all"' }).optional(),
  dryRun: z.boolean().optional(),
  /** NSS databases to use instead of the discovered ones (~/.pki/nssdb, Firefox profiles): absolute paths. */
  nssDbs: z.array(z.string().max(INPUT_LIMITS.path).regex(/^(\/|[A-Za-z]:\\)/, 'must be an absolute path')).max(50).optional(),
});

export const systemProxyOnSchema = z.strictObject({
  sessionId: z.string().min(1).max(INPUT_LIMITS.id),
  bypass: z.array(z.string().min(1).max(255)).max(100).optional(),
  dryRun: z.boolean().optional(),
});

export const systemProxyOffSchema = z.strictObject({ dryRun: z.boolean().optional() });

export const openBrowserSchema = z.strictObject({
  url: httpUrl.optional(),
  /** Run without a window (automation, CI). */
  headless: z.boolean().optional(),
});
