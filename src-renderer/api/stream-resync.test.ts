import { describe, expect, it } from 'vitest';
import { isResync, parseStreamFrame } from './http-client.js';

describe('the stream resync message', () => {
  it('is told apart from entries and batches', () => {
    expect(isResync(parseStreamFrame('{"type":"resync","dropped":12,"reason":"fell behind"}'))).toBe(true);
    expect(isResync(parseStreamFrame('{"type":"batch","messages":[{"type":"entry","entry":{"id":"a"}}]}'))).toBe(false);
    expect(isResync(parseStreamFrame('{"type":"entry","entry":{"id":"a"}}'))).toBe(false);
  });
});
