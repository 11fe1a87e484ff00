/**
 * The engine's methods for the rows of src-shared/har-contract.ts; engine-operations.ts spreads them.
 */
import type { HAR_OPERATIONS } from '../../../src-shared/har-contract.js';
import type { EngineCalls } from '../engine-operations.js';
import type { Recorder } from '../sessions/recorder.js';
import { openHarExport, utf8Chunks } from './har-writer.js';
import { importHar } from './har-import.js';

export type HarCalls = Pick<EngineCalls, Extract<keyof EngineCalls, keyof typeof HAR_OPERATIONS>>;

export function harOperations(recorder: Recorder): HarCalls {
  return {
    exportHar: async ({ id, entryIds, keepSecrets, redactHeaders, redactFields }) => {
      const opened = await openHarExport(recorder, id, {
        ...(entryIds ? { entryIds } : {}),
        redaction: { ...(keepSecrets !== undefined ? { keepSecrets } : {}), ...(redactHeaders ? { redactHeaders } : {}), ...(redactFields ? { redactFields } : {}) },
      });
      return { bytes: new Uint8Array(0), contentType: 'application/json; charset=utf-8', fileName: opened.fileName, stream: utf8Chunks(opened.chunks()) };
    },
    importHar: ({ har, name }) => importHar(recorder, har, name === undefined ? {} : { name }),
  };
}
