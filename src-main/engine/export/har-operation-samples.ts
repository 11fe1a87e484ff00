/** Samples of the rows of src-shared/har-contract.ts for src-main/operations.int.test.ts. */
import { expect } from 'vitest';
import type { HAR_OPERATIONS } from '../../../src-shared/har-contract.js';
import type { FeatureSamples, SampleContext } from '../../test-support/operation-samples.js';

// operations.int.test.ts's bound() hands samples (t, undefined, ctx) and expectations (v, t, ctx): the context is the last argument.
const ctxOf = (args: unknown[]): SampleContext => args[args.length - 1] as SampleContext;

const SMALL_HAR = {
  log: {
    version: '1.2',
    creator: { name: 'operations test', version: '1' },
    entries: [
      {
        startedDateTime: '2026-01-02T03:04:05.678Z',
        time: 12,
        request: { method: 'GET', url: 'http://127.0.0.1:1/imported?x=1', httpVersion: 'HTTP/1.1', headers: [{ name: 'Host', value: '127.0.0.1:1' }], headersSize: -1, bodySize: 0 },
        response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [{ name: 'Content-Type', value: 'text/plain' }], content: { size: 8, mimeType: 'text/plain', text: 'imported' }, redirectURL: '', headersSize: -1, bodySize: 8 },
        cache: {},
        timings: { send: 1, wait: 10, receive: 1 },
      },
    ],
  },
};

export const HAR_SAMPLES: FeatureSamples<keyof typeof HAR_OPERATIONS> = {
  samples: {
    exportHar: (...args: unknown[]) => ({ id: ctxOf(args).shared.id }),
    importHar: (t) => ({ har: SMALL_HAR, name: `imported-${t}` }),
  },
  expect: {
    exportHar: (v: { bytes: Uint8Array; fileName?: string; contentType?: string }, _t, ctx) => {
      const har = JSON.parse(new TextDecoder().decode(v.bytes)) as { log: { entries: Array<{ request: { url: string }; _tags?: string[] }> } };
      expect(har.log.entries).toHaveLength(1);
      expect(har.log.entries[0]!.request.url).toBe(ctx.shared.entry.request.url);
      expect(har.log.entries[0]!._tags).toEqual(['annotated']);
      expect(v.fileName).toBe('shared.har');
      expect(v.contentType).toMatch(/^application\/json/);
    },
    importHar: (v: { session: { name: string; status: string; entryCount: number }; imported: number; warnings: string[] }, t) => {
      expect(v.session).toMatchObject({ name: `imported-${t}`, status: 'stopped', entryCount: 1 });
      expect(v.imported).toBe(1);
    },
  },
  // Each import makes a session of its own.
  volatile: ['importHar'],
};
