/**
 * The one API contract: a table with one row per operation (name, HTTP method and path, zod input schema, output
 * type, kind). Every transport is derived from its rows: the REST routes (src-main/server/operation-routes.ts), the
 * IPC handlers (src-main/desktop/ipc-handlers.ts), the engine-process protocol (src-main/desktop/engine-client.ts),
 * the preload bridge (src-preload/bridge.ts), the renderer's two clients and the CLI's client
 * (src-shared/rest-client.ts). docs/operations.md is the recipe for adding one: a row here, a method in
 * src-main/engine/engine-operations.ts.
 *
 * An input is one object: path parameters, query and body fields side by side (REST takes the query for GET and
 * DELETE, the body for the rest). Its schema accepts what both a query string and a structured value would carry
 * ("1" or true, "25" or 25), so one schema validates every transport, once, at its boundary.
 */
import { z } from 'zod';
import type { Entry, EntryPage, PortCheck, PortsStatus, Session, StorageReport, StreamMessage } from './model.js';
import type {
  CaGenerateResponse,
  CaStatusResponse,
  OpenBrowserResponse,
  ProxyChangeResult,
  ProxyOffResult,
  SessionSetupResponse,
  SystemProxyStatusResponse,
  TrustResult,
  TrustStatusResponse,
} from './machine.js';
import {
  entriesQuerySchema,
  openBrowserSchema,
  parseInput,
  patchEntrySchema,
  portCheckQuerySchema,
  restartSessionSchema,
  searchQuerySchema,
  startSessionSchema,
  systemProxyOffSchema,
  systemProxyOnSchema,
  trustOperationSchema,
} from './schemas.js';
import { modificationsUpdateSchema, type SessionModifications } from './modifications.js';
import { toxicsUpdateSchema, type SessionToxics } from './toxics.js';

import { entryRef, flag, id, none, row, sessionRef, type BytesResult, type HttpMethod, type OperationRow } from './operation-row.js';
import { MOCK_OPERATIONS } from './mocks-contract.js';
import { CONFIG_OPERATIONS } from './configs-contract.js';
import { HAR_OPERATIONS } from './har-contract.js';
import { MOCKARTY_OPERATIONS } from './mockarty-contract.js';
import { SCRIPT_OPERATIONS } from './scripts-contract.js';

export { API_PREFIX, WS_TOKEN_PROTOCOL_PREFIX, restPathOf } from './operation-row.js';
export type { BytesResult, HttpMethod, OperationKind, OperationRow } from './operation-row.js';

const RECORDER_OPERATIONS = {
  // Static paths come before `/:id`, so that `/sessions` or `/ports` never read as a session id.
  startSession: row<{ session: Session }>()({ kind: 'json', method: 'POST', path: '/start', input: startSessionSchema, what: 'session config', status: 201, mutates: true }),
  listSessions: row<{ sessions: Session[]; total: number }>()({ kind: 'json', method: 'GET', path: '/sessions', input: none, what: 'query' }),
  ports: row<PortsStatus>()({ kind: 'json', method: 'GET', path: '/ports', input: none, what: 'query' }),
  portCheck: row<PortCheck>()({ kind: 'json', method: 'GET', path: '/port-check', input: portCheckQuerySchema.strict(), what: 'query' }),
  /** The store's state and its usage against the budgets. */
  storage: row<{ storage: StorageReport }>()({ kind: 'json', method: 'GET', path: '/storage', input: none, what: 'query' }),

  // The machine: the install CA, the OS trust store, the system proxy.
  caStatus: row<CaStatusResponse>()({ kind: 'json', method: 'GET', path: '/ca/status', input: none, what: 'query' }),
  caGenerate: row<CaGenerateResponse>()({ kind: 'json', method: 'POST', path: '/ca/generate', input: none, what: 'body', mutates: true }),
  /** The CA certificate as a PEM file (never the key). */
  caDownload: row<BytesResult, 'bytes'>()({ kind: 'bytes', method: 'GET', path: '/ca/download', input: none, what: 'query' }),
  trustStatus: row<TrustStatusResponse>()({ kind: 'json', method: 'GET', path: '/ca/trust', input: none, what: 'query' }),
  trustInstall: row<TrustResult>()({ kind: 'json', method: 'POST', path: '/ca/trust/install', input: trustOperationSchema, what: 'trust-store options', mutates: true }),
  trustUninstall: row<TrustResult>()({ kind: 'json', method: 'POST', path: '/ca/trust/uninstall', input: trustOperationSchema, what: 'trust-store options', mutates: true }),
  systemProxyStatus: row<SystemProxyStatusResponse>()({ kind: 'json', method: 'GET', path: '/system-proxy', input: none, what: 'query' }),
  systemProxyOn: row<ProxyChangeResult>()({ kind: 'json', method: 'POST', path: '/system-proxy/on', input: systemProxyOnSchema, what: 'system-proxy options', mutates: true }),
  systemProxyOff: row<ProxyOffResult>()({ kind: 'json', method: 'POST', path: '/system-proxy/off', input: systemProxyOffSchema, what: 'system-proxy options', mutates: true }),

  // One session.
  getSession: row<{ session: Session }>()({ kind: 'json', method: 'GET', path: '/:id', input: sessionRef, what: 'params' }),
  stopSession: row<{ session: Session }>()({ kind: 'json', method: 'POST', path: '/:id/stop', input: sessionRef, what: 'params', mutates: true }),
  /** A body-less call means the default: move to another port when the old one is taken. */
  restartSession: row<{ session: Session }>()({ kind: 'json', method: 'POST', path: '/:id/restart', input: restartSessionSchema.extend({ id }), what: 'restart options', mutates: true }),
  deleteSession: row<{ deleted: true; id: string }>()({ kind: 'json', method: 'DELETE', path: '/:id', input: sessionRef, what: 'params', mutates: true }),
  /** Copyable setup of one session: environment blocks per shell, Chromium arguments, a curl line. */
  sessionSetup: row<SessionSetupResponse>()({ kind: 'json', method: 'GET', path: '/:id/setup', input: sessionRef, what: 'params' }),
  /** A Chromium-family browser through the session (isolated profile, the CA's SPKI pin). */
  openBrowser: row<OpenBrowserResponse>()({ kind: 'json', method: 'POST', path: '/:id/open-browser', input: openBrowserSchema.extend({ id }), what: 'browser options' }),
  /**
   * Replace a session's toxics, live on a running one (nothing closed; the next exchange on any connection takes
   * them). Not in the reference, which edits only modifications live (`PUT /:id/modifications`): the same shape.
   */
  updateToxics: row<{ toxics: SessionToxics }>()({ kind: 'json', method: 'PUT', path: '/:id/toxics', input: toxicsUpdateSchema.extend({ id }), what: 'toxics' }),
  /** The session's toxics as given (`{}`: none). */
  getToxics: row<{ toxics: SessionToxics }>()({ kind: 'json', method: 'GET', path: '/:id/toxics', input: sessionRef, what: 'params' }),
  /** The reference's live update of the modification rules (`{"modifications": {...}}`; `{}` removes them all). */
  updateModifications: row<{ modifications: SessionModifications }>()({
    kind: 'json', method: 'PUT', path: '/:id/modifications', input: modificationsUpdateSchema.extend({ id }), what: 'modifications',
  }),
  /** The session's modification rules as given (`{}`: none). */
  getModifications: row<{ modifications: SessionModifications }>()({ kind: 'json', method: 'GET', path: '/:id/modifications', input: sessionRef, what: 'params' }),
  /** Live messages of one session: entries, pending requests, evictions (REST: a WebSocket). */
  subscribe: row<StreamMessage, 'stream'>()({
    kind: 'stream', method: 'GET', path: '/:id/ws', what: 'query',
    input: z.strictObject({ id, batch: flag, pending: flag }),
  }),

  // Its entries.
  listEntries: row<EntryPage>()({ kind: 'json', method: 'GET', path: '/:id/entries', input: entriesQuerySchema.extend({ id }).strict(), what: 'query' }),
  /** Ids of the entries whose URL, headers, notes or decoded bodies contain `q` (case-insensitive), oldest first. */
  searchEntries: row<{ ids: string[] }>()({ kind: 'json', method: 'GET', path: '/:id/entries/search', input: searchQuerySchema.extend({ id }).strict(), what: 'query' }),
  getEntry: row<{ entry: Entry }>()({ kind: 'json', method: 'GET', path: '/:id/entries/:entryId', input: entryRef, what: 'params' }),
  patchEntry: row<{ entry: Entry }>()({ kind: 'json', method: 'PATCH', path: '/:id/entries/:entryId', input: patchEntrySchema.safeExtend({ id, entryId: id }), what: 'annotation' }),
  /** Captured body bytes: raw as on the wire, or content-decoded with `decoded`; `inline` only for raster images. */
  readEntryBody: row<BytesResult, 'bytes'>()({
    kind: 'bytes', method: 'GET', path: '/:id/entries/:entryId/body/:which', what: 'query',
    input: z.strictObject({
      id,
      entryId: id,
      which: z.enum(['request', 'response'], { error: 'must be "request" or "response"' }),
      decoded: flag,
      inline: flag,
    }),
  }),
} as const;

export const OPERATIONS = {
  ...RECORDER_OPERATIONS, ...MOCK_OPERATIONS, ...CONFIG_OPERATIONS, ...HAR_OPERATIONS, ...MOCKARTY_OPERATIONS, ...SCRIPT_OPERATIONS,
} as const;

export type Operations = typeof OPERATIONS;
export type OperationName = keyof Operations;
export type KindOf<N extends OperationName> = Operations[N]['kind'];
/** Names of the operations that answer once (json and bytes), as opposed to the stream. */
export type CallName = { [N in OperationName]: KindOf<N> extends 'stream' ? never : N }[OperationName];
export type StreamName = Exclude<OperationName, CallName>;

/** What a caller passes: the schema's input (query strings or structured values). */
export type InputOf<N extends OperationName> = z.input<Operations[N]['input']>;
/** What the engine receives: the schema's output, after validation at the boundary. */
export type ParsedInputOf<N extends OperationName> = z.output<Operations[N]['input']>;
export type OutputOf<N extends OperationName> = NonNullable<Operations[N]['output']>;

/** Inputs that may be left out altogether (every field optional). */
type ArgsOf<N extends OperationName> = Record<never, never> extends InputOf<N> ? [input?: InputOf<N>] : [input: InputOf<N>];

/** A client of every operation that answers once: the REST client, the IPC bridge and the engine clients share it. */
export type OperationClient = { [N in CallName]: (...args: ArgsOf<N>) => Promise<OutputOf<N>> };

export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[];
export const CALL_NAMES = OPERATION_NAMES.filter((n): n is CallName => OPERATIONS[n].kind !== 'stream');
export const STREAM_NAMES = OPERATION_NAMES.filter((n): n is StreamName => OPERATIONS[n].kind === 'stream');

/** The names of a path's parameters: `/:id/entries/:entryId` → ['id', 'entryId']. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

/** Fill a row's path with `input`'s parameters (URI-encoded); returns the path and the fields it used. */
export function fillPath(path: string, input: Record<string, unknown>): { path: string; used: Set<string> } {
  const used = new Set<string>();
  const filled = path.replace(/:(\w+)/g, (_m, name: string) => {
    used.add(name);
    return encodeURIComponent(String(input[name]));
  });
  return { path: filled, used };
}

/** Where REST carries the fields that are not path parameters. */
export function restCarrier(method: HttpMethod): 'query' | 'body' {
  return method === 'GET' || method === 'DELETE' ? 'query' : 'body';
}

/**
 * Validate one operation's input at a boundary, with the row's schema: the parsed value, or an ApiError
 * (`bad_request`) naming the field at fault. An absent input is an empty object.
 */
export function parseOperationInput<N extends OperationName>(name: N, raw: unknown): ParsedInputOf<N> {
  const row: OperationRow = OPERATIONS[name];
  return parseInput(row.input, raw === undefined ? {} : raw, row.what) as ParsedInputOf<N>;
}
