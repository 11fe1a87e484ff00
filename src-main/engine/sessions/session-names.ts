/** Names for sessions started without one: two words a person can say, and a number that changes every second. */
const ADJECTIVES = ['amber', 'brisk', 'calm', 'deft', 'eager', 'fond', 'glad', 'keen', 'lucid', 'merry', 'nimble', 'quiet'];
const NOUNS = ['otter', 'heron', 'lynx', 'falcon', 'badger', 'comet', 'harbor', 'meadow', 'willow', 'ember', 'delta', 'pine'];

export function generateSessionName(nowMs: number, random: () => number = Math.random): string {
  const pick = (list: readonly string[]) => list[Math.floor(random() * list.length)]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${Math.floor(nowMs / 1000) % 10000}`;
}
