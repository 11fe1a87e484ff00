/**
 * Body replacement rules compiled and applied to a whole text: shared by the proxy thread (small bodies) and the
 * replacement workers (modify-worker.ts). RE2 (re2js) keeps every regex linear in the text, which is still far
 * too slow for a big body on the thread that serves every connection: see modify-pool.ts.
 */
import { RE2JS } from 're2js';
import type { BodyReplacement } from '../../../src-shared/modifications.js';

export interface CompiledReplacement {
  index: number;
  /** The rule as configured: what a worker compiles again. */
  rule: BodyReplacement;
  apply(text: string): string | undefined;
}

export function compileReplacements(rules: readonly BodyReplacement[]): CompiledReplacement[] {
  return rules.map((rule, index) => {
    if (!rule.isRegex) {
      return { index, rule, apply: (text) => (text.includes(rule.match) ? text.split(rule.match).join(rule.replace) : undefined) };
    }
    const regex = RE2JS.compile(rule.match);
    return {
      index,
      rule,
      apply(text) {
        const matcher = regex.matcher(text);
        if (!matcher.find()) return undefined;
        return matcher.reset().replaceAll(rule.replace);
      },
    };
  });
}

/** The rules in order, each on the previous one's result; `onRule` hears which rule starts. */
export function applyReplacements(rules: readonly CompiledReplacement[], text: string, onRule?: (index: number) => void): { text: string; applied: number[] } {
  const applied: number[] = [];
  let out = text;
  for (const rule of rules) {
    onRule?.(rule.index);
    const next = rule.apply(out);
    if (next !== undefined) {
      out = next;
      applied.push(rule.index);
    }
  }
  return { text: out, applied };
}
