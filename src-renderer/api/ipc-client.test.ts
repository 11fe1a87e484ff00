import { describe, expect, it } from 'vitest';
import { BRIDGE_METHODS, type DesktopBridge } from '../../src-shared/desktop-bridge.js';
import { adaptBridge } from './ipc-client.js';
import { blobOf, describeError, RecorderClientError } from './recorder-client.js';

/**
 * A bridge whose every method records its arguments and answers `answer(name, args)`. It rejects the way the real
 * one does: with plain `{ name, code, message }` objects, because contextBridge strips an Error down to its message.
 */
/* eslint-disable @typescript-eslint/prefer-promise-reject-errors -- see above */
function fakeBridge(answer: (name: string, args: unknown[]) => unknown = (name) => ({ name })) {
  const calls: Array<{ name: string; args: unknown[] }> = [];
  const bridge: Record<string, unknown> = {};
  for (const name of BRIDGE_METHODS) {
    bridge[name] =
      name === 'subscribe'
        ? (...args: unknown[]) => (calls.push({ name, args }), () => undefined)
        : (...args: unknown[]) => {
            calls.push({ name, args });
            return Promise.resolve(answer(name, args));
          };
  }
  return { bridge: bridge as unknown as DesktopBridge, calls };
}

describe('adaptBridge', () => {
  it('turns bridge rejections into client errors and passes body bytes through', async () => {
    const bridge = {
      startSession: () => Promise.reject({ name: 'RecorderBridgeError', code: 'not_supported', message: 'toxics: not supported yet', field: 'toxics' }),
      readEntryBody: () => Promise.resolve({ bytes: new Uint8Array([1, 2, 3]), contentType: 'image/png' }),
      subscribe: () => () => undefined,
    } as unknown as DesktopBridge;
    const client = adaptBridge(bridge);
    const error = await client.startSession({ targetUrl: 'http://x', toxics: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecorderClientError);
    expect((error as RecorderClientError).status).toBe(400);
    expect(describeError(error)).toBe('toxics: not supported yet');
    const body = await client.readEntryBody({ id: 's', entryId: 'e', which: 'response' });
    expect(body.contentType).toBe('image/png');
    expect(body.bytes).toEqual(new Uint8Array([1, 2, 3]));
    const blob = blobOf(body);
    expect(blob.type).toBe('image/png');
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('reads a body through readEntryBody with the same parameters; no content type gives an untyped Blob', async () => {
    const { bridge, calls } = fakeBridge(() => ({ bytes: new TextEncoder().encode('hello') }));
    const blob = blobOf(await adaptBridge(bridge).readEntryBody({ id: 's', entryId: 'e', which: 'request', decoded: true }));
    expect(calls).toEqual([{ name: 'readEntryBody', args: [{ id: 's', entryId: 'e', which: 'request', decoded: true }] }]);
    expect(blob.type).toBe('');
    expect(await blob.text()).toBe('hello');
  });

  it('maps every error code to its HTTP status, keeps the field, and passes anything else through untouched', async () => {
    const codes = { bad_request: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409, limit_reached: 429, not_supported: 400, internal: 500 };
    for (const [code, status] of Object.entries(codes)) {
      const { bridge } = fakeBridge(() => Promise.reject({ name: 'RecorderBridgeError', code, message: `m-${code}`, field: 'sessionId' }));
      const error = await adaptBridge(bridge).systemProxyOn({ sessionId: 'x' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RecorderClientError);
      expect(error).toMatchObject({ code, status, field: 'sessionId', message: `m-${code}` });
    }
    const odd = new TypeError('boom');
    const { bridge } = fakeBridge(() => Promise.reject(odd));
    expect(await adaptBridge(bridge).listSessions().catch((e: unknown) => e)).toBe(odd);
  });

  it('passes bodies: false through when the table lists entries', async () => {
    const { bridge, calls } = fakeBridge(() => ({ entries: [], total: 0, offset: 0, limit: 500 }));
    await adaptBridge(bridge).listEntries({ id: 's', offset: 0, limit: 500, bodies: false });
    expect(calls).toEqual([{ name: 'listEntries', args: [{ id: 's', offset: 0, limit: 500, bodies: false }] }]);
  });

  it('sends each machine operation as one parameter object on its own bridge method', async () => {
    const { bridge, calls } = fakeBridge();
    const client = adaptBridge(bridge);
    await client.caStatus();
    await client.caGenerate();
    await client.caDownload();
    await client.trustStatus();
    await client.trustInstall({ scope: 'user', dryRun: true });
    await client.trustUninstall({});
    await client.systemProxyStatus();
    await client.systemProxyOn({ sessionId: 's1' });
    await client.systemProxyOff({ dryRun: true });
    await client.sessionSetup({ id: 's1' });
    await client.openBrowser({ id: 's1', url: 'https://example.com/' });
    expect(calls).toEqual([
      { name: 'caStatus', args: [] },
      { name: 'caGenerate', args: [] },
      { name: 'caDownload', args: [] },
      { name: 'trustStatus', args: [] },
      { name: 'trustInstall', args: [{ scope: 'user', dryRun: true }] },
      { name: 'trustUninstall', args: [{}] },
      { name: 'systemProxyStatus', args: [] },
      { name: 'systemProxyOn', args: [{ sessionId: 's1' }] },
      { name: 'systemProxyOff', args: [{ dryRun: true }] },
      { name: 'sessionSetup', args: [{ id: 's1' }] },
      { name: 'openBrowser', args: [{ id: 's1', url: 'https://example.com/' }] },
    ]);
  });
});
