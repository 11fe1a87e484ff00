import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { StorageStatus } from '../../src-shared/model.js';
import { StorageBannerView, failingStorage } from './StorageBanner.js';

const status = (s: Partial<StorageStatus>): StorageStatus => ({
  state: 'ok', since: '2024-01-01T00:00:00.000Z', droppedBodies: 0, pendingBytes: 0, maxPendingBytes: 1, ...s,
});

describe('StorageBanner', () => {
  it('is shown only while storage is failing: the selected session, else any session (the store is shared)', () => {
    expect(failingStorage([{ id: 'a', storage: status({}) }], 'a')).toBeUndefined();
    expect(failingStorage([{ id: 'a' }], 'a')).toBeUndefined();
    const failing = status({ state: 'failing', error: 'EROFS' });
    expect(failingStorage([{ id: 'a' }, { id: 'b', storage: failing }], null)).toBe(failing);
    expect(failingStorage([{ id: 'a', storage: failing }], 'a')).toBe(failing);
  });

  it('says what failed and what still works while the disk refuses writes', () => {
    const html = renderToStaticMarkup(
      <StorageBannerView storage={status({ state: 'failing', error: 'ENOSPC: no space left on device', droppedBodies: 2 })} />,
    );
    expect(html).toContain('data-testid="storage-banner"');
    expect(html).toContain('role="alert"');
    expect(html).toContain('ENOSPC: no space left on device');
    expect(html).toContain('Traffic is still forwarded');
    expect(html).toContain('2 bodies were not saved');
  });
});
