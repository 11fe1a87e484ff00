/** Header rules (`add`, `replace`, `remove`) on a flat raw header list (name, value, name, value...), in order. */
import type { HeaderRule } from '../../../src-shared/modifications.js';

/** The list after the rules, and the indexes of the rules that changed it. The input is not changed. */
export function applyHeaderRules(flat: readonly string[], rules: readonly HeaderRule[]): { headers: string[]; applied: number[] } {
  let headers = flat as string[];
  const applied: number[] = [];
  rules.forEach((rule, index) => {
    const name = rule.name.toLowerCase();
    const has = headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === name);
    if (rule.action === 'remove') {
      if (!has) return;
      headers = without(headers, name);
    } else if (rule.action === 'add') {
      headers = [...headers, rule.name, rule.value ?? ''];
    } else {
      // replace: the first header of that name keeps its place and takes the value; the others go.
      const at = headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === name);
      if (at < 0) headers = [...headers, rule.name, rule.value ?? ''];
      else {
        const next = without(headers.slice(at + 2), name);
        headers = [...headers.slice(0, at), headers[at]!, rule.value ?? '', ...next];
      }
    }
    applied.push(index);
  });
  return { headers: headers === flat ? headers.slice() : headers, applied };
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
