/**
 * The local mock store's format: Mockarty's mock (../shared/spec/mockarty-api.md, "Mocks"; the field names of its
 * SDKs), so that mocks move between this store and a Mockarty server unchanged. Exactly one protocol block; exactly
 * one of `response`, `oneOf` or `proxy`. Map local serves only `http` mocks with `response` or `oneOf`; the other
 * blocks (grpc, soap, graphql, mcp, sse, socket...) are kept as given, checked only for being objects.
 *
 * Every size is bounded (ids, routes, lists, payload bytes, the whole mock), and a problem names its field
 * (`response.statusCode`, `oneOf.responses.1.payload`). Routes: see mock-routes.ts.
 */
import { z } from 'zod';
import { checkRoute } from './mock-routes.js';

const MiB = 1024 * 1024;

export const MOCK_LIMITS = {
  id: 200,
  namespace: 200,
  tags: 100,
  tag: 100,
  route: 4096,
  conditions: 100,
  headers: 100,
  headerValues: 100,
  headerValue: 8192,
  responses: 100,
  delayMs: 600_000,
  /** One payload, as JSON text (or as the decoded bytes of a base64 one). */
  payloadBytes: 4 * MiB,
  /** One whole mock as JSON text. */
  mockBytes: 8 * MiB,
  /** Arrays and objects nested in a payload (JSON.stringify recurses: a deeper one would overflow its stack). */
  payloadDepth: 64,
  /** The same for a whole mock: its payloads' depth plus the mock's own levels. */
  mockDepth: 72,
  /** Mocks in one `POST /api/v1/mocks/batch`. */
  batch: 1000,
  /** The store: at most this many mocks and this many bytes of JSON. */
  storeMocks: 10_000,
  storeBytes: 64 * MiB,
} as const;

/** The protocol blocks of Mockarty's mock; exactly one is set. Map local serves `http` only. */
export const MOCK_PROTOCOLS = ['http', 'grpc', 'soap', 'graphql', 'mcp', 'sse', 'socket', 'kafka', 'rabbitmq', 'smtp'] as const;
export type MockProtocol = (typeof MOCK_PROTOCOLS)[number];

export const ASSERT_ACTIONS = ['equals', 'contains', 'not_equals', 'not_contains', 'any', 'notEmpty', 'empty', 'matches'] as const;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// eslint-disable-next-line no-control-regex -- control characters (CR, LF...) must not reach a header or an id
const NO_CONTROL = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;

/** Ids travel in a path (`/api/v1/mocks/:id`): no slash, no spaces or control characters. */
export const mockIdSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(MOCK_LIMITS.id)
  // eslint-disable-next-line no-control-regex -- the point is to refuse control characters in an id
  .regex(/^[^\s/\\\x00-\x1f\x7f]+$/, 'must not hold "/", "\\", spaces or control characters');

export const mockNamespaceSchema = z.string().min(1).max(MOCK_LIMITS.namespace).regex(/^[\w.-]+$/, 'letters, digits, ".", "_" and "-" only');

/** A condition of Mockarty's matcher: kept as given (map local matches route and method only). */
const conditionSchema = z.looseObject({
  path: z.string().max(MOCK_LIMITS.route).optional(),
  assertAction: z.enum(ASSERT_ACTIONS, { error: `must be one of ${ASSERT_ACTIONS.join(', ')}` }).optional(),
});
const conditions = z.array(conditionSchema).max(MOCK_LIMITS.conditions).optional();

export const httpBlockSchema = z
  .strictObject({
    route: z.string().min(1, 'must not be empty').max(MOCK_LIMITS.route)
      .describe('"/api/users/:id" (":name" is one path segment) or a regex starting with "^" (RE2, matched against the whole path).'),
    routePattern: z.string().min(1, 'must not be empty').max(MOCK_LIMITS.route).optional()
      .describe('A regex (RE2) matched against the whole path, used instead of route when given.'),
    httpMethod: z.string().regex(/^([A-Za-z]+|\*)$/, 'a method is letters only (or "*" for any)').max(32).optional()
      .describe('GET, POST... (any case); absent or "*": any method.'),
    conditions,
    queryParams: conditions,
    header: conditions,
    sortArray: z.boolean().optional(),
  })
  .superRefine((http, ctx) => {
    const route = checkRoute(http.route, false);
    if (route) ctx.addIssue({ code: 'custom', path: ['route'], message: route });
    if (http.routePattern !== undefined) {
      const pattern = checkRoute(http.routePattern, true);
      if (pattern) ctx.addIssue({ code: 'custom', path: ['routePattern'], message: pattern });
    }
  });

export type MockHttp = z.infer<typeof httpBlockSchema>;

// An HTTP/1.1 head carries bytes: a character past U+00FF cannot be written (Node refuses it), so it is refused here.
const headerValue = z
  .string()
  .max(MOCK_LIMITS.headerValue)
  .regex(NO_CONTROL, 'must not hold control characters (CR, LF...)')
  .regex(/^[^\u0100-\uffff]*$/, 'must be Latin-1 text (characters up to U+00FF): a header carries bytes');
// zod's record skips a "__proto__" key (it would set the output's prototype): a header of that name would vanish
// without a word, so it is refused by name before the record is read.
const headersSchema = z
  .preprocess((headers, ctx) => {
    if (typeof headers === 'object' && headers !== null && Object.hasOwn(headers, '__proto__')) {
      ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'is not a header name a mock can keep', input: headers });
    }
    return headers;
  }, z.record(z.string().max(256).regex(TOKEN, 'is not a valid header name'), z.array(headerValue).max(MOCK_LIMITS.headerValues)))
  .refine((h) => Object.keys(h).length <= MOCK_LIMITS.headers, `at most ${MOCK_LIMITS.headers} headers`)
  .describe('Header name → list of values: {"Content-Type": ["application/json"]}.');

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One answer: Mockarty's ContentResponse. Fields for other protocols are kept as given. */
export const contentResponseSchema = z
  .strictObject({
    statusCode: z.number().int().min(200).max(599).optional().describe('HTTP status, 200 when absent.'),
    headers: headersSchema.optional(),
    payload: z.unknown().optional().describe('Any JSON (sent as JSON), a string (sent as text), or base64 with decode: "base64".'),
    decode: z.literal('base64', { error: 'must be "base64"' }).optional(),
    delay: z.number().int().min(0).max(MOCK_LIMITS.delayMs).optional().describe('Milliseconds to wait before answering.'),
    payloadTemplatePath: z.string().max(MOCK_LIMITS.route).optional(),
    error: z.string().max(MOCK_LIMITS.headerValue).optional(),
    errorDetails: z.unknown().optional(),
    sseEventChain: z.unknown().optional(),
    graphqlErrors: z.unknown().optional(),
    soapFault: z.unknown().optional(),
    mcpIsError: z.boolean().optional(),
  })
  .superRefine((response, ctx) => {
    const problem = payloadProblem(response.payload, response.decode);
    if (problem) ctx.addIssue({ code: 'custom', path: ['payload'], message: problem });
  });

export type ContentResponse = z.infer<typeof contentResponseSchema>;

function payloadProblem(payload: unknown, decode: 'base64' | undefined): string | undefined {
  if (decode === 'base64') {
    if (typeof payload !== 'string') return 'must be a base64 string when decode is "base64"';
    if (payload.length % 4 !== 0 || !BASE64.test(payload)) return 'is not valid base64';
    return (payload.length / 4) * 3 > MOCK_LIMITS.payloadBytes + 2 ? `must decode to at most ${MOCK_LIMITS.payloadBytes} bytes` : undefined;
  }
  if (payload === undefined) return undefined;
  if (nestingDepth(payload, MOCK_LIMITS.payloadDepth) > MOCK_LIMITS.payloadDepth) return `must be nested at most ${MOCK_LIMITS.payloadDepth} levels deep`;
  return jsonBytes(payload) > MOCK_LIMITS.payloadBytes ? `must be at most ${MOCK_LIMITS.payloadBytes} bytes of JSON` : undefined;
}

/** How deep arrays and objects nest in `value`, counted without recursion and up to just past `limit`. */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > deepest) deepest = depth + 1;
    if (deepest > limit) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** UTF-8 length of a value's JSON, without Node's Buffer (this module runs in browsers too). */
export function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value) ?? '').length;
}

export const oneOfSchema = z.strictObject({
  order: z.enum(['order', 'random'], { error: 'must be "order" or "random"' }).optional().describe('"order": in turn from offset; "random": any.'),
  offset: z.number().int().min(0).optional(),
  responses: z.array(contentResponseSchema).min(1, 'must have at least one response').max(MOCK_LIMITS.responses),
});

const proxySchema = z.strictObject({ target: z.string().max(8192).optional() });

/** Blocks of protocols map local does not serve: objects kept as given. */
const otherBlock = z.looseObject({});
const passthrough = z.unknown().optional();

const mockShape = {
  id: mockIdSchema.optional().describe('Created when absent; an existing id is overwritten (upsert).'),
  namespace: mockNamespaceSchema.optional().describe('"default" when absent: the namespace a session uses unless it names another.'),
  chainId: z.string().max(MOCK_LIMITS.id).optional(),
  priority: z.number().int().min(-1_000_000_000).max(1_000_000_000).optional().describe('Higher is tried first; ties: the older mock.'),
  tags: z.array(z.string().min(1, 'a tag must not be empty').max(MOCK_LIMITS.tag)).max(MOCK_LIMITS.tags).optional(),
  ttl: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('Milliseconds the mock lives after it is saved (0: forever).'),
  useLimiter: z.number().int().min(0).optional(),
  useCounter: z.number().int().min(0).optional(),
  http: httpBlockSchema.optional(),
  grpc: otherBlock.optional(),
  soap: otherBlock.optional(),
  graphql: otherBlock.optional(),
  mcp: otherBlock.optional(),
  sse: otherBlock.optional(),
  socket: otherBlock.optional(),
  kafka: otherBlock.optional(),
  rabbitmq: otherBlock.optional(),
  smtp: otherBlock.optional(),
  response: contentResponseSchema.optional(),
  oneOf: oneOfSchema.optional(),
  proxy: proxySchema.optional(),
  // Mockarty's other fields, kept so that its exports import unchanged; nothing here reads them.
  pathPrefix: z.string().max(MOCK_LIMITS.route).optional(),
  serverName: z.string().max(MOCK_LIMITS.id).optional(),
  folderId: z.string().max(MOCK_LIMITS.id).optional(),
  webhooks: passthrough,
  extract: passthrough,
  mStore: passthrough,
  createdAt: passthrough,
  lastUse: passthrough,
  expireAt: passthrough,
  closedAt: passthrough,
};

/** The fields of a mock, each checked alone (a PATCH gives some of them). */
export const mockFieldsSchema = z.strictObject(mockShape);

const ANSWERS = ['response', 'oneOf', 'proxy'] as const;

/** The rules across fields: one protocol block, one kind of answer, a bounded size. */
function checkWhole(mock: z.infer<typeof mockFieldsSchema>, ctx: z.RefinementCtx): void {
  const blocks = MOCK_PROTOCOLS.filter((p) => mock[p] !== undefined);
  if (blocks.length === 0) ctx.addIssue({ code: 'custom', path: ['http'], message: `is required (or one other protocol block: ${MOCK_PROTOCOLS.slice(1).join(', ')})` });
  if (blocks.length > 1) ctx.addIssue({ code: 'custom', path: [blocks[1]!], message: `only one protocol block may be set, and ${blocks[0]} is` });
  const answers = ANSWERS.filter((a) => mock[a] !== undefined);
  if (answers.length === 0) ctx.addIssue({ code: 'custom', path: ['response'], message: 'is required (or oneOf, or proxy)' });
  if (answers.length > 1) ctx.addIssue({ code: 'custom', path: [answers[1]!], message: `give one of response, oneOf and proxy, not ${answers.join(' and ')}` });
  if (nestingDepth(mock, MOCK_LIMITS.mockDepth) > MOCK_LIMITS.mockDepth) {
    ctx.addIssue({ code: 'custom', path: [], message: `a mock must nest at most ${MOCK_LIMITS.mockDepth} levels of arrays and objects` });
    return;
  }
  if (jsonBytes(mock) > MOCK_LIMITS.mockBytes) ctx.addIssue({ code: 'custom', path: [], message: `a mock must be at most ${MOCK_LIMITS.mockBytes} bytes of JSON` });
}

export const mockSchema = mockFieldsSchema.superRefine(checkWhole);

/** What a client gives (id and namespace optional). */
export type MockInput = z.infer<typeof mockSchema>;
/** A stored mock: its id and namespace are always set. */
export type Mock = MockInput & { id: string; namespace: string };

export const DEFAULT_MOCK_NAMESPACE = 'default';

/** `{"mapLocal": {...}}` in a start config: the reference's shape. */
export const mapLocalConfigSchema = z
  .strictObject({
    enabled: z.boolean().describe('Answer requests that match a mock of the namespace from the mock, never from the upstream.'),
    namespace: mockNamespaceSchema.optional().describe("The mocks' namespace; the session's own namespace when absent."),
  })
  .describe('Map local: a request whose method and route match a mock of the namespace gets the mock\'s answer (status, headers, payload, delay).');

export type MapLocalConfig = z.infer<typeof mapLocalConfigSchema>;

/**
 * One mock as a running session's map local stage gets it: plain data, in the order it is tried (priority, then
 * age). `expiresAt` (epoch ms) for a mock with a ttl.
 */
export interface LocalMock {
  mock: Mock;
  expiresAt?: number;
}

type PatchShape = { [K in Exclude<keyof typeof mockShape, 'id'>]: z.ZodNullable<(typeof mockShape)[K]> };

/**
 * `PATCH /api/v1/mocks/:id`: the given top-level fields replace the mock's, `null` removes one (`{"oneOf": {...},
 * "response": null}`). Each field is checked here; the merged mock is then checked whole, as a new one would be.
 */
export const mockPatchSchema = z.strictObject(
  Object.fromEntries(Object.entries(mockShape).filter(([key]) => key !== 'id').map(([key, schema]) => [key, schema.nullable()])) as PatchShape,
);

export type MockPatch = z.infer<typeof mockPatchSchema>;

/** A mock file or a store that could not be read as it was: moved aside (never emptied), and where to. */
export interface MocksSetAside {
  file: string;
  problem: string;
}

export interface MockList {
  items: Mock[];
  total: number;
  /** Set when the mocks file found at open was unreadable and was kept aside. */
  setAside?: MocksSetAside;
}
