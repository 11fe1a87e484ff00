import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { ENGINE_OPTIONS, defaultEngineConfig, parseEngineConfig, resolveProxyWorkers } from './engine-config.js';

const problem = (value: unknown) => {
  try {
    parseEngineConfig(value);
  } catch (e) {
    if (e instanceof ApiError) return { message: e.message, field: e.field };
    throw e;
  }
  throw new Error('expected a refusal');
};

const flagOf = (key: string) => {
  const flag = ENGINE_OPTIONS.find((o) => o.key === key)?.doc.flag;
  if (!flag?.parse) throw new Error(`no parsed flag for ${key}`);
  return flag as Required<typeof flag>;
};

describe('the engine configuration', () => {
  it('has a default for every option: the recorder reference limits', () => {
    const config = defaultEngineConfig();
    expect(config.limits).toMatchObject({ maxSessions: 30, maxEntriesPerSession: 1000, maxTotalEntries: 1_000_000, maxStoreBytes: 2 * 1024 ** 3 });
    expect(config.limits).toMatchObject({ bodyLimit: 1024 * 1024, sessionTtlMs: 4 * 3_600_000, retentionMs: 5 * 86_400_000, portRange: { start: 8081, end: 8999 } });
    expect(config).toMatchObject({ proxyWorkers: 'auto', loopbackOnly: false, sweepIntervalMs: 15_000, streamIntervalMs: 50 });
    expect(parseEngineConfig({ limits: { maxSessions: 3 } }).limits).toEqual({ ...config.limits, maxSessions: 3 });
  });

  it('lists every option once, described, with its default and bounds', () => {
    const keys = ENGINE_OPTIONS.map((o) => o.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual([...Object.keys(defaultEngineConfig().limits).map((k) => `limits.${k}`), 'proxyWorkers', 'loopbackOnly', 'sweepIntervalMs', 'streamIntervalMs']);
    for (const { doc } of ENGINE_OPTIONS) {
      expect(doc.description.length).toBeGreaterThan(10);
      expect(doc.defaultText).not.toBe('');
      expect(doc.boundsText).not.toBe('');
    }
  });

  it('refuses a bad value with an ApiError naming the field', () => {
    expect(problem({ limits: { maxSessions: 901 } })).toEqual({ message: 'limits.maxSessions: must be at most 900', field: 'limits.maxSessions' });
    expect(problem({ limits: { maxEntriesPerSession: 1_000_001 } }).field).toBe('limits.maxEntriesPerSession');
    expect(problem({ limits: { maxStoreBytes: '8M' } })).toEqual({ message: 'limits.maxStoreBytes: must be at least 16 MiB, got 8 MiB', field: 'limits.maxStoreBytes' });
    expect(problem({ limits: { maxStoreBytes: 'lots' } }).message).toBe('limits.maxStoreBytes: must be a size such as 500M, 2G, 2GiB or a number of bytes, got "lots"');
    expect(problem({ limits: { portRange: { start: 9000, end: 8100 } } }).field).toBe('limits.portRange.end');
    expect(problem({ limits: { maxSesions: 3 } })).toEqual({ message: 'limits: unknown field maxSesions', field: 'limits.maxSesions' });
    expect(problem({ proxyWorkers: 'many' })).toEqual({ message: 'proxyWorkers: must be "auto" or an integer from 0 to 64', field: 'proxyWorkers' });
    expect(problem({ loopbackOnly: 'yes' }).field).toBe('loopbackOnly');
    expect(problem([]).field).toBe('body');
  });

  it('takes sizes as words or bytes', () => {
    expect(parseEngineConfig({ limits: { maxStoreBytes: '64M' } }).limits.maxStoreBytes).toBe(64 * 1024 ** 2);
    expect(parseEngineConfig({ limits: { maxStoreBytes: '2GiB' } }).limits.maxStoreBytes).toBe(2 * 1024 ** 3);
    expect(parseEngineConfig({ limits: { maxStoreBytes: 32 * 1024 ** 2 } }).limits.maxStoreBytes).toBe(32 * 1024 ** 2);
  });

  it("parses a flag in the flag's own unit, with errors that name it", () => {
    expect(flagOf('limits.sessionTtlMs').parse('2')).toBe(2 * 3_600_000);
    expect(() => flagOf('limits.sessionTtlMs').parse('0')).toThrow('--session-hours must be an integer from 1 to 8760');
    expect(flagOf('limits.retentionMs').parse('3')).toBe(3 * 86_400_000);
    expect(() => flagOf('limits.maxSessions').parse('x')).toThrow('--max-sessions must be an integer from 1 to 900');
    expect(flagOf('limits.maxStoreBytes').parse('500M')).toBe(500 * 1024 ** 2);
    expect(() => flagOf('limits.maxStoreBytes').parse('1x')).toThrow('--max-store-bytes must be a size such as 500M, 2G, 2GiB or a number of bytes, got "1x"');
    expect(() => flagOf('limits.maxStoreBytes').parse('8M')).toThrow('--max-store-bytes must be at least 16 MiB, got 8 MiB');
    expect(flagOf('limits.bodyLimit').parse('0')).toBe(0);
    expect(flagOf('proxyWorkers').parse('auto')).toBe('auto');
    expect(flagOf('proxyWorkers').parse('3')).toBe(3);
    expect(() => flagOf('proxyWorkers').parse('65')).toThrow('--proxy-workers must be an integer from 0 to 64, or auto');
  });

  it('resolves auto proxy workers to cores - 1 up to 4 on 4+ cores, else none', () => {
    expect([1, 2, 3, 4, 5, 8, 64].map((cores) => resolveProxyWorkers('auto', cores))).toEqual([0, 0, 0, 3, 4, 4, 4]);
    expect(resolveProxyWorkers(2, 1)).toBe(2);
  });
});
