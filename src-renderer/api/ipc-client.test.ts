import { describe, expect, it } from 'vitest';
import type { DesktopBridge } from '../../src-shared/desktop-bridge.js';
import { adaptBridge } from './ipc-client.js';
import { describeError, RecorderClientError } from './recorder-client.js';

describe('adaptBridge', () => {
  it('turns bridge rejections into client errors and body bytes into a Blob', async () => {
    const bridge = {
      startSession: () => Promise.reject({ name: 'RecorderBridgeError', code: 'not_supported', message: 'toxics: not supported yet', field: 'toxics' }),
      readEntryBody: async () => ({ bytes: new Uint8Array([1, 2, 3]), contentType: 'image/png' }),
      subscribe: () => () => undefined,
    } as unknown as DesktopBridge;
    const client = adaptBridge(bridge);
    const error = await client.startSession({ targetUrl: 'http://x', toxics: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecorderClientError);
    expect((error as RecorderClientError).status).toBe(400);
    expect(describeError(error)).toBe('toxics: not supported yet');
    const blob = await client.getEntryBody({ id: 's', entryId: 'e', which: 'response' });
    expect(blob.type).toBe('image/png');
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });
});
