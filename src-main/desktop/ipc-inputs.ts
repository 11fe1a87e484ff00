/**
 * Input parsing for every IPC channel, with the same shared schemas the REST adapter uses (session config,
 * entries query, port check, annotations) and `parseInput`, so a bad call gets the same `bad_request`
 * naming the same field over IPC as over HTTP. IPC carries structured values, not query strings: the only
 * translation is `bodies` (a boolean here, a string in a query).
 */
import { z } from 'zod';
import { ApiError } from '../../src-shared/errors.js';
import type { BodyWhich } from '../../src-shared/desktop-bridge.js';
import type { OpenBrowserInput, SystemProxyOffInput, SystemProxyOnInput, TrustOperationInput } from '../../src-shared/machine.js';
import {
  entriesQuerySchema,
  openBrowserSchema,
  parseInput,
  patchEntrySchema,
  portCheckQuerySchema,
  startSessionSchema,
  systemProxyOffSchema,
  systemProxyOnSchema,
  trustOperationSchema,
  type PatchEntryInput,
  type StartSessionInput,
} from '../../src-shared/schemas.js';

const idField = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(200, 'is too long');

export const sessionRefSchema = z.strictObject({ id: idField });
export const entryRefSchema = z.strictObject({ id: idField, entryId: idField });
export const searchInputSchema = z.strictObject({ id: idField, q: z.string({ error: 'must be a string' }).max(10_000) });
export const bodyInputSchema = z.strictObject({
  id: idField,
  entryId: idField,
  which: z.enum(['request', 'response'], { error: 'must be "request" or "response"' }),
  decoded: z.boolean({ error: 'must be a boolean' }).optional(),
});

function record(raw: unknown, what: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ApiError('bad_request', `${what} must be an object`);
  }
  return raw as Record<string, unknown>;
}

export function noInput(raw: unknown): void {
  if (raw !== undefined) throw new ApiError('bad_request', 'this operation takes no parameters');
}

export function startSessionInput(raw: unknown): StartSessionInput {
  return parseInput(startSessionSchema, raw ?? {}, 'session config');
}

export function sessionRef(raw: unknown): { id: string } {
  return parseInput(sessionRefSchema, record(raw, 'params'), 'params');
}

export function entryRef(raw: unknown): { id: string; entryId: string } {
  return parseInput(entryRefSchema, record(raw, 'params'), 'params');
}

export function listEntriesInput(raw: unknown): { id: string; offset: number; limit: number; bodies: boolean } {
  const { id, offset, limit, bodies, ...rest } = record(raw, 'params');
  const ref = sessionRef({ id });
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new ApiError('bad_request', `unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`, extra[0]);
  if (bodies !== undefined && typeof bodies !== 'boolean') throw new ApiError('bad_request', 'bodies: must be a boolean', 'bodies');
  const query = parseInput(entriesQuerySchema, { offset, limit, bodies: bodies === undefined ? undefined : String(bodies) }, 'entries query');
  return { ...ref, ...query };
}

export function patchEntryInput(raw: unknown): { id: string; entryId: string } & PatchEntryInput {
  const { id, entryId, ...patch } = record(raw, 'params');
  const ref = entryRef({ id, entryId });
  return { ...ref, ...parseInput(patchEntrySchema, patch, 'annotation') };
}

export function portCheckInput(raw: unknown): { port: number } {
  const params = record(raw, 'params');
  if (params.port === undefined) throw new ApiError('bad_request', 'port: is required', 'port');
  return parseInput(portCheckQuerySchema, params, 'params');
}

export function searchInput(raw: unknown): { id: string; q: string } {
  return parseInput(searchInputSchema, record(raw, 'params'), 'params');
}

export function bodyInput(raw: unknown): { id: string; entryId: string; which: BodyWhich; decoded: boolean } {
  const parsed = parseInput(bodyInputSchema, record(raw, 'params'), 'params');
  return { ...parsed, decoded: parsed.decoded ?? false };
}

// The machine operations: the schemas the REST routes use (MachineServices parses them again: harmless,
// and it means a bad call is refused here, before it crosses to the engine process).

/** Optional parameter object: absent means `{}`. */
function optionalRecord(raw: unknown, what: string): Record<string, unknown> {
  return raw === undefined ? {} : record(raw, what);
}

export function trustInput(raw: unknown): TrustOperationInput {
  return parseInput(trustOperationSchema, optionalRecord(raw, 'trust-store options'), 'trust-store options');
}

export function systemProxyOnInput(raw: unknown): SystemProxyOnInput {
  return parseInput(systemProxyOnSchema, record(raw, 'system-proxy options'), 'system-proxy options');
}

export function systemProxyOffInput(raw: unknown): SystemProxyOffInput {
  return parseInput(systemProxyOffSchema, optionalRecord(raw, 'system-proxy options'), 'system-proxy options');
}

export function openBrowserInput(raw: unknown): { id: string } & OpenBrowserInput {
  const { id, ...options } = record(raw, 'params');
  const ref = sessionRef({ id });
  return { ...ref, ...parseInput(openBrowserSchema, options, 'browser options') };
}
