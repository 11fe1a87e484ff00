/**
 * The engine's configuration, declared once: every option with its default, its bounds and what it means.
 * - `traffic-recorder serve` generates its engine flags from it (src-main/cli/engine-flags.ts): name, help text,
 *   default, parsing and the errors that name the flag;
 * - the desktop reads `engine-config.json` in its data dir through it (src-main/desktop/engine-config-file.ts);
 * - the engine (engine-boot.ts, the Recorder, session runners, proxy workers) takes `EngineConfig` or a Pick of it;
 * - the README's table of engine options is rendered from it (src-main/cli/engine-config-doc.ts, checked by a test).
 *
 * Not here, on purpose: the headless server's own options — API host and port, token and token file, allowed Host
 * names, the data directory — stay beside it in the serve command and `HeadlessOptions` (they belong to the REST
 * server, not to the engine the desktop runs as well); and runtime injections (the store, a clock, an upstream policy
 * function, TLS material), which are not data. Everything here is plain serializable JSON.
 */
import { z } from 'zod';
import { formatByteSize, parseByteSize } from './byte-size.js';
import { PORT_RANGE, parseInput } from './schemas.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** How `serve` spells an option; the CLI builds the commander option from it. */
export interface EngineFlag {
  readonly name: `--${string}`;
  /** The value's placeholder in --help; absent for a switch (`--loopback-only`). */
  readonly arg?: string;
  /** The flag's default and bounds in its own unit, for --help. */
  readonly defaultText: string;
  readonly boundsText: string;
  /** The option's value from the flag's text; throws an Error whose message names the flag. */
  readonly parse?: (raw: string) => unknown;
}

/** What the docs and --help say about an option. */
export interface OptionDoc {
  readonly description: string;
  /** In the option's own unit, as people read it: "4 hours", "2 GiB". */
  readonly defaultText: string;
  readonly boundsText: string;
  readonly flag?: EngineFlag;
}

interface Option<S extends z.ZodType> {
  readonly schema: S;
  readonly doc: OptionDoc;
}

interface IntSpec {
  min: number;
  max: number;
  default: number;
  /** How the docs write values: plain counts, byte sizes, or durations (the option is in milliseconds). */
  unit?: 'bytes' | 'ms';
  /** Also accept sizes such as "500M", "2G", "2GiB" (config files and the flag alike). */
  sizes?: boolean;
  /** What 0 means, when it is allowed and special. */
  zero?: string;
  description: string;
  flag?: { name: `--${string}`; arg: string; per?: { factor: number; unit: string } };
}

const count = (n: number) => (n === Number.MAX_SAFE_INTEGER ? 'no limit' : String(n));

function duration(ms: number): string {
  for (const [unit, size] of [['day', DAY], ['hour', HOUR], ['min', MINUTE], ['s', SECOND]] as const) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return unit === 'min' || unit === 's' ? `${n} ${unit}` : `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}

function valueText(spec: IntSpec, n: number): string {
  if (n === 0) return '0';
  if (spec.unit === 'bytes') return formatByteSize(n);
  if (spec.unit === 'ms') return duration(n);
  return count(n);
}

function boundsOf(spec: IntSpec, text: (n: number) => string, min = spec.min, max = spec.max): string {
  const zero = spec.zero && min === 0 ? `; 0 = ${spec.zero}` : '';
  if (max === Number.MAX_SAFE_INTEGER) return `at least ${text(min)}${zero}`;
  return `${text(min)} to ${text(max)}${zero}`;
}

/** A size's problem in words, or its byte count. Shared by the schema and the flag so both say the same. */
function checkSize(value: number | string, min: number): { bytes: number } | { problem: string } {
  const bytes = typeof value === 'number' ? value : parseByteSize(value);
  if (bytes === undefined || !Number.isSafeInteger(bytes) || bytes < 0) {
    return { problem: `must be a size such as 500M, 2G, 2GiB or a number of bytes, got ${JSON.stringify(value)}` };
  }
  if (bytes < min) return { problem: `must be at least ${formatByteSize(min)}, got ${formatByteSize(bytes)}` };
  return { bytes };
}

function intSchema(spec: IntSpec) {
  if (!spec.sizes) return z.number().int().min(spec.min).max(spec.max).default(spec.default).describe(spec.description);
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const checked = checkSize(value, spec.min);
      if ('problem' in checked) {
        ctx.addIssue({ code: 'custom', message: checked.problem });
        return z.NEVER;
      }
      return checked.bytes;
    })
    .default(spec.default)
    .describe(spec.description);
}

function intFlag(spec: IntSpec): EngineFlag | undefined {
  if (!spec.flag) return undefined;
  const { name, arg, per } = spec.flag;
  const factor = per?.factor ?? 1;
  const min = Math.ceil(spec.min / factor);
  const max = Math.floor(spec.max / factor);
  const parse = (raw: string): number => {
    if (spec.sizes) {
      const checked = checkSize(raw, spec.min);
      if ('problem' in checked) throw new Error(`${name} ${checked.problem}`);
      return checked.bytes;
    }
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}`);
    return n * factor;
  };
  const text = spec.sizes ? (n: number) => formatByteSize(n) : (n: number) => count(n);
  return { name, arg, parse, defaultText: text(spec.default / factor), boundsText: boundsOf(spec, text, spec.sizes ? spec.min : min, spec.sizes ? spec.max : max) };
}

function int(spec: IntSpec) {
  const text = (n: number) => valueText(spec, n);
  const flag = intFlag(spec);
  return {
    schema: intSchema(spec),
    doc: { description: spec.description, defaultText: text(spec.default), boundsText: boundsOf(spec, text), ...(flag ? { flag } : {}) },
  } satisfies Option<z.ZodType>;
}

const portNumber = z.number().int().min(1).max(65535);

/** Limits of the recorder, its store and each session proxy. The defaults are the recorder reference's limits table. */
const LIMITS = {
  maxSessions: int({ min: 1, max: 900, default: 30, description: 'sessions that may run at once', flag: { name: '--max-sessions', arg: '<n>' } }),
  maxEntriesPerSession: int({
    min: 1, max: 1_000_000, default: 1000,
    description: 'entries kept per session, oldest evicted first',
    flag: { name: '--max-entries', arg: '<n>' },
  }),
  maxTotalEntries: int({
    min: 1, max: 100_000_000, default: 1_000_000,
    description: 'entries kept in the whole store, every session together (the oldest of stopped sessions go first)',
    flag: { name: '--max-total-entries', arg: '<n>' },
  }),
  maxStoreBytes: int({
    // Below 16 MiB a handful of large bodies would evict everything else.
    min: 16 * MiB, max: Number.MAX_SAFE_INTEGER, default: 2 * GiB, unit: 'bytes', sizes: true,
    description: 'disk space the store may take: 500M, 2G, 2GiB or bytes (evicted like the total entries)',
    flag: { name: '--max-store-bytes', arg: '<size>' },
  }),
  bodyLimit: int({
    min: 0, max: GiB, default: MiB, unit: 'bytes',
    description: 'bytes of each body kept (clients and upstreams still get every byte)',
    flag: { name: '--body-limit', arg: '<bytes>' },
  }),
  sessionTtlMs: int({
    min: HOUR, max: 365 * DAY, default: 4 * HOUR, unit: 'ms',
    description: 'a session stops this long after it starts',
    flag: { name: '--session-hours', arg: '<h>', per: { factor: HOUR, unit: 'hours' } },
  }),
  retentionMs: int({
    min: DAY, max: 3650 * DAY, default: 5 * DAY, unit: 'ms',
    description: 'entries are kept this long after their session stops',
    flag: { name: '--retention-days', arg: '<d>', per: { factor: DAY, unit: 'days' } },
  }),
  upstreamTimeoutMs: int({
    min: 0, max: DAY, default: 120 * SECOND, unit: 'ms', zero: 'none',
    description: 'an upstream request idle this long fails (the client gets a 502)',
    flag: { name: '--upstream-timeout-ms', arg: '<ms>' },
  }),
  portRange: {
    schema: z
      .strictObject({ start: portNumber, end: portNumber })
      .refine((range) => range.start <= range.end, { message: 'start must not be above end', path: ['end'] })
      .default({ start: PORT_RANGE.start, end: PORT_RANGE.end })
      .describe('ports session proxies listen on (a session without a port takes the first free one)'),
    doc: {
      description: 'ports session proxies listen on (a session without a port takes the first free one)',
      defaultText: `{"start": ${PORT_RANGE.start}, "end": ${PORT_RANGE.end}}`,
      boundsText: '1 to 65535, start ≤ end',
    },
  },
  // Client connections of each session proxy. Only connections that have not started anything are cut short (no
  // first byte, an unfinished request head or body, an idle keep-alive): a response may stream, and a WebSocket or
  // tunnel may stay idle, for as long as it likes.
  idleConnectionTimeoutMs: int({
    min: 0, max: HOUR, default: MINUTE, unit: 'ms', zero: 'none',
    description: 'a client connection (or a CONNECT tunnel, a TLS layer in it) sending no first byte this long is closed',
    flag: { name: '--idle-connection-timeout-ms', arg: '<ms>' },
  }),
  headersTimeoutMs: int({
    min: 1, max: HOUR, default: MINUTE, unit: 'ms',
    description: 'time a client has to send a request head',
    flag: { name: '--headers-timeout-ms', arg: '<ms>' },
  }),
  requestTimeoutMs: int({
    min: 0, max: DAY, default: 10 * MINUTE, unit: 'ms', zero: 'none',
    description: 'time a client has to send a whole request, body included',
    flag: { name: '--request-timeout-ms', arg: '<ms>' },
  }),
  keepAliveTimeoutMs: int({
    min: 1, max: HOUR, default: 5 * SECOND, unit: 'ms',
    description: 'an idle keep-alive client connection is closed after this long',
    flag: { name: '--keep-alive-timeout-ms', arg: '<ms>' },
  }),
  maxConnectionsPerSession: int({
    min: 1, max: 1_000_000, default: 1000,
    description: 'open client connections per session; more get a 503',
    flag: { name: '--max-connections-per-session', arg: '<n>' },
  }),
  maxSavedConfigs: int({
    min: 1, max: 1000, default: 10,
    description: 'session configurations that may be saved (`/configs`); one more is refused with a 409',
    flag: { name: '--max-saved-configs', arg: '<n>' },
  }),
} as const;

const PROXY_WORKERS_MAX = 64;
const PROXY_WORKERS_PROBLEM = `must be "auto" or an integer from 0 to ${PROXY_WORKERS_MAX}`;

const TOP = {
  proxyWorkers: {
    schema: z
      .union([z.literal('auto'), z.number().int().min(0).max(PROXY_WORKERS_MAX)], { error: PROXY_WORKERS_PROBLEM })
      .default('auto')
      .describe('session proxies in this many worker processes sharing each port'),
    doc: {
      description: 'session proxies run in this many worker processes sharing each port (0 = in the engine process; the desktop always uses 0)',
      defaultText: 'auto',
      boundsText: `0 to ${PROXY_WORKERS_MAX}, or "auto" (cores - 1 up to 4 on 4+ cores, else 0)`,
      flag: {
        name: '--proxy-workers',
        arg: '<n>',
        defaultText: 'auto = cores - 1 up to 4 on 4+ cores, else 0',
        boundsText: `0 to ${PROXY_WORKERS_MAX}, or auto`,
        parse: (raw: string): number | 'auto' => {
          if (raw === 'auto') return 'auto';
          const n = Number(raw);
          if (!Number.isInteger(n) || n < 0 || n > PROXY_WORKERS_MAX) throw new Error(`--proxy-workers must be an integer from 0 to ${PROXY_WORKERS_MAX}, or auto`);
          return n;
        },
      },
    },
  },
  loopbackOnly: {
    schema: z.boolean().default(false).describe('sessions contact only this machine'),
    doc: {
      description: 'sessions may contact only this machine (localhost, 127.0.0.0/8, ::1), others get a 403; also TRAFFIC_RECORDER_LOOPBACK_ONLY=1',
      defaultText: 'false',
      boundsText: 'true or false',
      flag: { name: '--loopback-only', defaultText: 'false', boundsText: 'a switch' },
    },
  },
  sweepIntervalMs: int({
    min: 0, max: HOUR, default: 15 * SECOND, unit: 'ms', zero: 'never (tests sweep by hand)',
    description: 'how often session expiry and entry retention are checked',
  }),
  streamIntervalMs: int({
    min: 1, max: 10 * SECOND, default: 50, unit: 'ms',
    description: 'stream messages are gathered this long before they are sent',
  }),
} as const;

type Schemas<T extends Record<string, Option<z.ZodType>>> = { [K in keyof T]: T[K]['schema'] };

function schemasOf<T extends Record<string, Option<z.ZodType>>>(options: T): Schemas<T> {
  return Object.fromEntries(Object.entries(options).map(([key, option]) => [key, option.schema])) as Schemas<T>;
}

export const engineLimitsSchema = z.strictObject(schemasOf(LIMITS));

export const engineConfigSchema = z.strictObject({
  // prefault, not default: an absent `limits` is parsed as {} so that every limit gets its own default.
  limits: engineLimitsSchema.prefault({}).describe('limits of the recorder, its store and each session proxy'),
  ...schemasOf(TOP),
});

/** The whole configuration, every default applied. */
export type EngineConfig = z.output<typeof engineConfigSchema>;
/** What callers and config files give: any option may be left out (its default applies), sizes may be words. */
export type EngineConfigInput = z.input<typeof engineConfigSchema>;
export type EngineLimits = EngineConfig['limits'];

/** Every option once, by its path in the configuration (`limits.maxSessions`), for the CLI and the docs. */
export interface EngineOptionEntry {
  readonly path: readonly [string] | readonly [string, string];
  readonly key: string;
  readonly doc: OptionDoc;
}

export const ENGINE_OPTIONS: readonly EngineOptionEntry[] = [
  ...Object.entries(LIMITS).map(([name, option]): EngineOptionEntry => ({ path: ['limits', name], key: `limits.${name}`, doc: option.doc })),
  ...Object.entries(TOP).map(([name, option]): EngineOptionEntry => ({ path: [name], key: name, doc: option.doc })),
];

export function defaultEngineConfig(): EngineConfig {
  return engineConfigSchema.parse({});
}

/** Parse a configuration (a file, the CLI's flags, an IPC message): an ApiError naming the field on the first problem. */
export function parseEngineConfig(value: unknown, what = 'engine configuration'): EngineConfig {
  return parseInput(engineConfigSchema, value, what);
}

/** `proxyWorkers` as a number of processes on a machine with `cores` cores. */
export function resolveProxyWorkers(value: EngineConfig['proxyWorkers'], cores: number): number {
  if (value !== 'auto') return value;
  // Workers pay off when a core is left for everything else (the app under test, its upstream): on a small machine
  // the extra processes cost more than they bring, most of all with large bodies (see the README's Performance).
  return cores >= 4 ? Math.min(cores - 1, 4) : 0;
}
