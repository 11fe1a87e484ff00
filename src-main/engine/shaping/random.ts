/**
 * Random draws for the toxics: a small seeded generator (mulberry32), so that a `seed` gives the same sequence of
 * errors, resets and jitter on every run. Not for anything secret. Without a seed, the seed itself is random.
 */
import { randomInt } from 'node:crypto';

/** A number in [0, 1). */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Two independent sources from one seed (or from a random one): the draws for fates and those for jitter. */
export function randomSources(seed: number | undefined): { fate: Random; jitter: Random } {
  const base = seed ?? randomInt(0, 2 ** 32);
  // A different stream per purpose: whether jitter is configured never shifts the sequence of errors.
  return { fate: seededRandom(base), jitter: seededRandom((base ^ 0x9e3779b9) >>> 0) };
}
