import { describe, expect, it } from 'vitest';
import type { PortCheck, Session } from '../../../src-shared/model.js';
import { portConflictMessage, portHolderWords, portState, restartedMessage, withoutSessionIds } from './port-conflict.js';
import { hashWithSession, sessionFromHash } from './selection-url.js';

const session = (over: Partial<Session>): Session => ({
  id: 'id-1', name: 'Checkout', mode: 'reverse', targetUrl: 'http://a.test', listenPort: 8098, listenHost: '127.0.0.1',
  proxyUrl: 'http://127.0.0.1:8098', namespace: 'default', status: 'stopped', entryCount: 0, createdAt: '2025-01-01T00:00:00Z',
  filters: {}, ...over,
} as Session);

describe('selection in the URL fragment', () => {
  it('reads and writes #session= beside other parameters, the token included', () => {
    expect(sessionFromHash('')).toBeNull();
    expect(sessionFromHash('#session=abc')).toBe('abc');
    expect(sessionFromHash('#token=t&session=abc')).toBe('abc');
    expect(hashWithSession('', 'abc')).toBe('#session=abc');
    expect(hashWithSession('#token=t', 'abc')).toBe('#token=t&session=abc');
    expect(hashWithSession('#session=old&x=1', 'new')).toBe('#session=new&x=1');
    expect(hashWithSession('#session=old', null)).toBe('');
  });
});

describe('port conflicts on restart', () => {
  const taken: PortCheck = { port: 8098, available: false, reason: 'used by session "Other" (6f1c0a2e-1b2c-4d3e-8f40-123456789abc)' };
  it('names the holder by name, never by id', () => {
    const holder = session({ id: 'id-2', name: 'Port taker', status: 'running' });
    expect(portHolderWords(8098, [session({}), holder], taken, 'id-1')).toBe('session "Port taker"');
    expect(portHolderWords(8098, [session({})], taken, 'id-1')).toBe('session "Other"');
    expect(portHolderWords(8098, [], { port: 8098, available: false, reason: 'in use by another program' })).toBe('another program');
    expect(withoutSessionIds(taken.reason!)).toBe('used by session "Other"');
  });
  it('warns before a move, and says so after one', () => {
    expect(portConflictMessage({ session: session({}), holder: 'session "Port taker"' })).toMatch(/^Port 8098 is taken by session "Port taker"\. "Checkout" can start on another free port/);
    const moved = session({ listenPort: 8101, proxyUrl: 'http://127.0.0.1:8101', status: 'running' });
    expect(restartedMessage(session({}), moved)).toBe('Started "Checkout" on port 8101 (port 8098 was taken): http://127.0.0.1:8101');
    expect(restartedMessage(session({}), session({ status: 'running' }))).toBe('Started "Checkout" on http://127.0.0.1:8098');
  });
  it('shows a port check as idle, checking, free, taken (without ids) or unknown', () => {
    const describe = (e: unknown) => `said: ${String(e)}`;
    expect(portState({ status: 'idle', last: undefined }, describe)).toEqual({ kind: 'idle' });
    expect(portState({ status: 'loading', last: undefined }, describe)).toEqual({ kind: 'checking' });
    expect(portState({ status: 'done', value: { port: 8098, available: true }, last: undefined }, describe)).toEqual({ kind: 'free' });
    expect(portState({ status: 'done', value: taken, last: undefined }, describe)).toEqual({ kind: 'taken', reason: 'used by session "Other"' });
    expect(portState({ status: 'done', value: { port: 8098, available: false }, last: undefined }, describe)).toEqual({ kind: 'taken', reason: 'in use' });
    expect(portState({ status: 'failed', error: 'boom', last: undefined }, describe)).toEqual({ kind: 'unknown', reason: 'said: boom' });
  });
});
