/**
 * What a HAR file must hold for us to import it: the HAR 1.2 fields an entry cannot do without, checked with zod,
 * every string, list and number bounded. Lenient where real files differ (Chrome, Firefox, Charles, k6 Studio,
 * ours): optional cookies, timings, sizes, httpVersion; null numbers; values that are numbers. Unknown fields pass.
 *
 * A refusal names the JSON path of the first bad field in the file, as a person finds it there:
 * `log.entries[3].request.url: expected an absolute URL, got "/x"`.
 */
import { z } from 'zod';
import { ApiError } from '../../../src-shared/errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Bounds of one file. */
export const HAR_LIMITS = {
  entries: 1_000_000,
  headers: 10_000,
  headerName: 8 * KiB,
  headerValue: 1 * MiB,
  url: 64 * KiB,
  bodyText: 256 * MiB,
  params: 100_000,
  messages: 1_000_000,
} as const;

/** A number some tools write as null (or leave out): undefined then. */
const num = z.number({ error: 'expected a number' }).nullish().transform((v) => v ?? undefined);
/** A header or parameter value; a number or boolean (some writers) becomes its text. */
const value = z
  .union([z.string().max(HAR_LIMITS.headerValue, `is longer than ${HAR_LIMITS.headerValue} characters`), z.number(), z.boolean()], { error: 'expected a string' })
  .nullish()
  .transform((v) => (v === undefined || v === null ? '' : String(v)));

const nameValue = z.looseObject({
  name: z.string({ error: 'expected a string' }).max(HAR_LIMITS.headerName, `is longer than ${HAR_LIMITS.headerName} characters`),
  value,
});

const nameValues = (max: number) =>
  z
    .array(nameValue, { error: 'expected a list of {name, value}' })
    .max(max, `more than ${max} items`)
    .nullish()
    .transform((v) => v ?? []);

const bodyText = z.string({ error: 'expected a string' }).max(HAR_LIMITS.bodyText, `is longer than ${HAR_LIMITS.bodyText} characters`);

const absoluteUrl = z
  .string({ error: 'expected a string' })
  .min(1, 'must not be empty')
  .max(HAR_LIMITS.url, `is longer than ${HAR_LIMITS.url} characters`)
  .refine((u) => {
    try {
      return /^[a-z][a-z0-9+.-]*:/i.test(u) && new URL(u).protocol !== '';
    } catch {
      return false;
    }
  }, 'expected an absolute URL (https://host/path)');

const postData = z.looseObject({
  mimeType: z.string().max(1024).nullish(),
  text: bodyText.nullish(),
  params: z
    .array(
      z.looseObject({
        name: z.string({ error: 'expected a string' }).max(HAR_LIMITS.headerName),
        value: z.string().max(HAR_LIMITS.bodyText).nullish(),
        fileName: z.string().max(4096).nullish(),
        contentType: z.string().max(1024).nullish(),
      }),
    )
    .max(HAR_LIMITS.params)
    .nullish(),
  encoding: z.string().max(32).nullish(),
  _encoding: z.string().max(32).nullish(),
  _truncated: z.boolean().nullish(),
  _fullSize: num,
});

const content = z.looseObject({
  size: num,
  mimeType: z.string().max(1024).nullish(),
  text: bodyText.nullish(),
  encoding: z.string().max(32).nullish(),
  _truncated: z.boolean().nullish(),
  _fullSize: num,
  _dropped: z.string().max(4096).nullish(),
  _lost: z.boolean().nullish(),
});

const request = z.looseObject({
  method: z.string({ error: 'expected a string' }).regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, 'expected an HTTP method (a token such as GET)'),
  url: absoluteUrl,
  httpVersion: z.string().max(32).nullish(),
  headers: nameValues(HAR_LIMITS.headers),
  cookies: nameValues(HAR_LIMITS.headers),
  queryString: nameValues(HAR_LIMITS.params),
  postData: postData.nullish(),
  headersSize: num,
  bodySize: num,
});

const response = z.looseObject({
  status: z.number({ error: 'expected a number' }).int('expected an integer').min(0, 'must be 0 to 999').max(999, 'must be 0 to 999'),
  statusText: z.string().max(8 * KiB).nullish(),
  httpVersion: z.string().max(32).nullish(),
  headers: nameValues(HAR_LIMITS.headers),
  cookies: nameValues(HAR_LIMITS.headers),
  content: content.nullish(),
  redirectURL: z.string().max(HAR_LIMITS.url).nullish(),
  headersSize: num,
  bodySize: num,
  _error: z.string().max(8 * KiB).nullish(),
});

const timings = z.looseObject({ blocked: num, dns: num, connect: num, ssl: num, send: num, wait: num, receive: num });

const startedDateTime = z
  .string({ error: 'expected a date and time (ISO 8601)' })
  .max(64, 'is too long for a date')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'expected a date and time (ISO 8601, e.g. 2024-05-01T10:00:00.000Z)');

const webSocketMessage = z.looseObject({
  type: z.string().max(32),
  time: num,
  opcode: num,
  data: z.string().max(HAR_LIMITS.bodyText).nullish(),
});

const sseEvent = z.looseObject({
  event: z.string().max(HAR_LIMITS.headerValue).nullish(),
  type: z.string().max(HAR_LIMITS.headerValue).nullish(),
  data: z.string().max(HAR_LIMITS.bodyText).nullish(),
  id: z.string().max(HAR_LIMITS.headerValue).nullish(),
  retry: num,
});

const entry = z.looseObject({
  startedDateTime,
  time: num,
  request,
  response: response.nullish(),
  timings: timings.nullish(),
  comment: z.string().max(100_000).nullish(),
  _tags: z.array(z.string({ error: 'expected a string' }).trim().min(1, 'a tag must not be empty').max(100, 'a tag is at most 100 characters')).max(100, 'at most 100 tags').nullish(),
  _notes: z.string().max(100_000, 'notes are at most 100,000 characters').nullish(),
  _error: z.union([z.string().max(8 * KiB), z.looseObject({ code: z.string().max(200).nullish(), message: z.string().max(8 * KiB).nullish() })]).nullish(),
  _webSocketMessages: z.array(webSocketMessage).max(HAR_LIMITS.messages).nullish(),
  _eventStream: z.array(sseEvent).max(HAR_LIMITS.messages).nullish(),
});

export const harFileSchema = z.looseObject({
  log: z.looseObject({
    version: z.string().max(32).nullish(),
    creator: z.looseObject({ name: z.string().max(1024).nullish(), version: z.string().max(1024).nullish() }).nullish(),
    pages: z.array(z.looseObject({ id: z.string().max(1024).nullish(), title: z.string().max(8 * KiB).nullish() })).max(HAR_LIMITS.entries).nullish(),
    entries: z.array(entry, { error: 'expected a list of entries' }).max(HAR_LIMITS.entries, `more than ${HAR_LIMITS.entries} entries`),
  }, { error: 'expected an object (the HAR "log")' }),
});

export type HarFile = z.output<typeof harFileSchema>;
export type HarFileEntry = HarFile['log']['entries'][number];

/** `['log', 'entries', 3, 'request', 'url']` → `log.entries[3].request.url`. */
export function jsonPathOf(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key))) out += (out ? '.' : '') + String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** The file checked, or a bad_request naming the JSON path of its first bad field. */
export function parseHarFile(raw: unknown): HarFile {
  const result = harFileSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  let issue = result.error.issues[0]!;
  // A union's own words say little: its branch's problem where one branch fits the input's type.
  while (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const inner = issue.errors.map((b) => b[0]).find((i) => i && i.path.length > 0);
    if (!inner) break;
    issue = { ...inner, path: [...issue.path, ...inner.path] };
  }
  const where = jsonPathOf(issue.path) || 'the file';
  let message = issue.message;
  if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
  else if ('input' in issue && issue.input !== undefined && !/, got /.test(message)) message += `, got ${kindOf(issue.input)}`;
  if (issue.code === 'unrecognized_keys') message = `unknown fields ${issue.keys.join(', ')}`;
  throw new ApiError('bad_request', `${where}: ${message}`, where);
}
