import { describe, expect, it } from 'vitest';
import { parseStreamFrame } from './http-client.js';
import { tokenFromFragment } from './token.js';

// The REST part of this client is src-shared/rest-client.ts, tested against a real server in
// src-main/cli/rest-client.int.test.ts and, for every operation, in src-main/operations.int.test.ts.

describe('stream frames and the token fragment', () => {
  it('accepts single messages and batch frames', () => {
    const entry = { type: 'entry', entry: { id: '__evict__', notes: 'e1' } };
    expect(parseStreamFrame(JSON.stringify(entry))).toEqual([entry]);
    expect(parseStreamFrame(JSON.stringify({ type: 'batch', messages: [entry, entry] }))).toHaveLength(2);
  });
  it('reads the token from #token=, not from anything else', () => {
    expect(tokenFromFragment('#token=abc')).toBe('abc');
    expect(tokenFromFragment('#x=1&token=a%2Bb')).toBe('a+b');
    expect(tokenFromFragment('#')).toBeNull();
    expect(tokenFromFragment('')).toBeNull();
  });
});
