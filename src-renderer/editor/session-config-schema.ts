/**
 * JSON Schema of the "full configuration" editor, derived from the shared zod schema so the editor and the
 * server's validation cannot drift. The options the server does not implement yet are typed as `unknown`
 * in zod; here they get the reference's shapes so Monaco can still complete them.
 */
import { z } from 'zod';
import { startSessionSchema } from '../../src-shared/schemas.js';

type JsonSchema = Record<string, unknown>;

const NOT_YET = ' Not supported by this server yet: a session using it is refused with a clear error.';
const int = (description: string): JsonSchema => ({ type: 'integer', minimum: 0, description });

const headerRules: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['action', 'name'],
    additionalProperties: false,
    properties: {
      action: { enum: ['add', 'replace', 'remove'] },
      name: { type: 'string' },
      value: { type: 'string' },
    },
  },
};

const protocolToxics: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    delayMs: int('Fixed latency (ms) added before each response.'),
    delayJitter: int('Random jitter, ±ms, on top of delayMs.'),
    errorRate: { type: 'number', minimum: 0, maximum: 1, description: 'Fraction of requests failed with errorStatus.' },
    errorStatus: { type: 'integer', minimum: 100, maximum: 599, default: 503 },
    bandwidthKBps: int('Response throughput limit in KB/s; 0 = unlimited.'),
    slowReadKBps: int('Request body read limit in KB/s; 0 = unlimited.'),
  },
};

const EXTRA_PROPERTIES: Record<string, JsonSchema> = {
  toxics: {
    type: 'object',
    description: `Toxicity rules per protocol (delay, jitter, errors, bandwidth).${NOT_YET}`,
    additionalProperties: false,
    properties: { http: protocolToxics, websocket: protocolToxics, sse: protocolToxics, grpc: protocolToxics },
  },
  modifications: {
    type: 'object',
    description: `Request/response modification rules, applied in order.${NOT_YET}`,
    additionalProperties: false,
    properties: {
      requestHeaders: headerRules,
      responseHeaders: headerRules,
      urlRewrites: {
        type: 'array',
        items: { type: 'object', required: ['match', 'replace'], properties: { match: { type: 'string' }, replace: { type: 'string' } } },
      },
      bodyReplacements: {
        type: 'array',
        items: {
          type: 'object',
          required: ['match', 'replace'],
          properties: { match: { type: 'string' }, replace: { type: 'string' }, isRegex: { type: 'boolean' } },
        },
      },
    },
  },
  mitm: {
    type: 'object',
    description: `MITM TLS interception (forward mode).${NOT_YET}`,
    properties: { enabled: { type: 'boolean' } },
  },
  mapLocal: {
    type: 'object',
    description: `Serve matching Mockarty mocks instead of the upstream.${NOT_YET}`,
    properties: { enabled: { type: 'boolean' }, namespace: { type: 'string' } },
  },
};

const DESCRIPTIONS: Record<string, string> = {
  name: 'Human-readable label. Auto-generated if empty.',
  mode: '"reverse" forwards to targetUrl; "forward" is an HTTP(S) proxy for HTTP_PROXY/HTTPS_PROXY.',
  targetUrl: 'Upstream base URL (http:// or https://). Required for reverse mode.',
  listenPort: 'Port the proxy listens on; 0 or absent = auto-assigned from 8081-8999.',
  port: 'Alias of listenPort.',
  listenHost: 'Address to bind, 127.0.0.1 by default; 0.0.0.0 exposes the proxy to the network.',
  namespace: 'Mockarty namespace.',
  filters:
    'Which requests are recorded (never what is forwarded). An empty list allows all. Patterns are globs: * matches ' +
    'any run of characters, / included (/v1/* records everything below /v1/), ? one character; hosts ignore case ' +
    'and the port (*.example.com matches every subdomain depth), paths ignore the query string.',
};

export function sessionConfigJsonSchema(): JsonSchema {
  let schema: JsonSchema;
  try {
    schema = z.toJSONSchema(startSessionSchema, { unrepresentable: 'any', io: 'input' }) as JsonSchema;
  } catch {
    schema = { type: 'object', properties: {} };
  }
  const properties = { ...((schema.properties as Record<string, JsonSchema> | undefined) ?? {}) };
  for (const [key, description] of Object.entries(DESCRIPTIONS)) {
    if (properties[key]) properties[key] = { ...properties[key], description };
  }
  for (const [key, extra] of Object.entries(EXTRA_PROPERTIES)) properties[key] = extra;
  const { $schema: _ignored, ...rest } = schema;
  return { ...rest, type: 'object', properties, additionalProperties: false };
}
