/** Header rules (`add`, `replace`, `remove`) on a flat raw header list (name, value, name, value...), in order. */
import type { HeaderRule } from '../../../src-shared/modifications.js';

/** The list after the rules, and the indexes of the rules that changed it. The input is not changed. */
export function applyHeaderRules(flat: readonly string[], rules: readonly HeaderRule[]): { headers: string[]; applied: number[] } {
  return compileHeaderRules(rules)(flat);
}

/**
 * The rules compiled once per session: names lowered once, and each exchange works on one copy of its headers with
 * their lowered names beside them (no array per rule: this runs on every exchange of a session with rules).
 */
export function compileHeaderRules(rules: readonly HeaderRule[]): (flat: readonly string[]) => { headers: string[]; applied: number[] } {
  const compiled = rules.map((rule, index) => ({ action: rule.action, name: rule.name, lower: rule.name.toLowerCase(), value: rule.value ?? '', index }));
  return (flat) => {
    const headers = flat.slice(0, flat.length - (flat.length % 2));
    const lower = new Array<string>(headers.length / 2);
    for (let i = 0; i < lower.length; i++) lower[i] = headers[2 * i]!.toLowerCase();
    const applied: number[] = [];
    for (const rule of compiled) {
      if (rule.action === 'add') {
        headers.push(rule.name, rule.value);
        lower.push(rule.lower);
        applied.push(rule.index);
        continue;
      }
      const first = lower.indexOf(rule.lower);
      if (rule.action === 'remove') {
        if (first < 0) continue;
        removeFrom(headers, lower, rule.lower, first);
      } else if (first < 0) {
        headers.push(rule.name, rule.value);
        lower.push(rule.lower);
      } else {
        // replace: the first header of that name keeps its place (and its spelling) and takes the value; the others go.
        headers[2 * first + 1] = rule.value;
        removeFrom(headers, lower, rule.lower, first + 1);
      }
      applied.push(rule.index);
    }
    return { headers, applied };
  };
}

/** Removes, in place, every header named `name` from position `from` on. */
function removeFrom(headers: string[], lower: string[], name: string, from: number): void {
  let w = from;
  for (let r = from; r < lower.length; r++) {
    if (lower[r] === name) continue;
    lower[w] = lower[r]!;
    headers[2 * w] = headers[2 * r]!;
    headers[2 * w + 1] = headers[2 * r + 1]!;
    w++;
  }
  lower.length = w;
  headers.length = 2 * w;
}

function without(flat: readonly string[], lowerName: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i]!.toLowerCase() !== lowerName) out.push(flat[i]!, flat[i + 1]!);
  return out;
}

/** The first value of a header in a flat list (name ignoring case). */
export function headerValue(flat: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i]!.toLowerCase() === lowerName) return flat[i + 1];
  return undefined;
}

export function removeHeader(flat: readonly string[], lowerName: string): string[] {
  return without(flat, lowerName);
}

export function pairs(flat: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
