/**
 * Inline validation with the server's own schemas and words. `parseInput` (src-shared/schemas.ts) stops at the
 * first problem, as the server does; a form wants all of them, each next to its field. So the value is parsed
 * again without the field at fault until it passes: every message is the one the server would send, at the path
 * the server would name.
 */
import type { z } from 'zod';
import { ApiError } from '../../../src-shared/errors.js';
import { parseInput } from '../../../src-shared/schemas.js';

/** Messages by the dotted path the server names (`toxics.http.delayMs`, `modifications.urlRewrites.0.match`). */
export type Problems = Record<string, string>;

const MAX_ROUNDS = 25;

/** The server's message without the field name it starts with (the form shows it next to that field). */
export function fieldMessage(error: { message: string; field?: string | undefined }): string {
  const { message, field } = error;
  return field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}

/** Every problem of `value` under `schema`, paths prefixed with `prefix` (as the whole start request names them). */
export function problemsOf(schema: z.ZodType, value: unknown, prefix: string): Problems {
  const problems: Problems = {};
  let rest: unknown = structuredClone(value);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    try {
      parseInput(schema, rest);
      break;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const field = error.field ?? '';
      const path = [prefix, field].filter(Boolean).join('.');
      problems[path] ??= fieldMessage(error);
      const next = without(rest, field);
      if (next === undefined) break;
      rest = next;
    }
  }
  return problems;
}

/** `value` without what is at `field`, or without the list or value on the way to it; undefined if nothing is there. */
function without(value: unknown, field: string): unknown {
  const keys = field.split('.').filter(Boolean);
  let parent = value;
  for (const [i, key] of keys.entries()) {
    if (!isRecord(parent) || !(key in parent)) return undefined;
    const child = parent[key];
    if (i === keys.length - 1 || !isRecord(child)) {
      delete parent[key];
      return value;
    }
    parent = child;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The problem at `path`, or the first one inside it (`toxics.http.match` holds `toxics.http.match.method`). */
export function problemAt(problems: Problems, path: string): string | null {
  if (problems[path]) return problems[path];
  const inside = Object.keys(problems).find((p) => p.startsWith(`${path}.`));
  return inside ? problems[inside]! : null;
}

/** The problems of one list, item by item, with their index in the path (each item checked on its own). */
export function itemProblems(check: (item: unknown) => Problems, items: unknown[], prefix: string): Problems {
  const problems: Problems = {};
  items.forEach((item, index) => {
    for (const [path, message] of Object.entries(check(item))) problems[[prefix, index, path].filter((p) => p !== '').join('.')] = message;
  });
  return problems;
}

/** A configuration value as form text: strings as they are, anything else as JSON (so nothing reads "[object Object]"). */
export function textOf(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
