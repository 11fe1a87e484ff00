/**
 * Storage usage in the UI against the real server with a small per-session limit: traffic past it evicts the
 * oldest rows, the table says so in one summed notice, and Settings → Storage shows the numbers.
 */
import { api, startServer } from './fixtures/headless-server.js';
import { RecorderPage, waitForAppReady } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';
import { curl } from './fixtures/upstream.js';

const MAX_ENTRIES = 3;

// Needs the server half of issue 9: `{type: 'evicted'}` stream messages and `usage` in GET /storage.
test('traffic past --max-entries shows one summed eviction notice and the numbers in Settings → Storage', async ({ page, dataDir, token, upstream }) => {
  const server = await startServer(dataDir, token, ['--max-entries', String(MAX_ENTRIES)]);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    const { session } = await api<{ session: { id: string; proxyUrl: string } }>(server, 'POST', '/start', { targetUrl: upstream.url, name: 'Budget' });
    await page.goto(`${server.url}/ui/recorder/#token=${token}`);
    await waitForAppReady(page);
    const ui = new RecorderPage(page);
    await expect(ui.byTestId('stream-state')).toHaveAttribute('data-state', 'open');

    for (let i = 1; i <= MAX_ENTRIES + 2; i++) expect(await curl(`${session.proxyUrl}/json?n=${i}`)).toBe(200);
    await expect(ui.row(`n=${MAX_ENTRIES + 2}`)).toBeVisible();
    await expect(ui.rows()).toHaveCount(MAX_ENTRIES);
    // Two messages (or one with count 2), one line: never a toast per eviction.
    await expect(ui.byTestId('eviction-notice')).toHaveCount(1);
    await expect(ui.byTestId('eviction-notice-text')).toHaveText(/^2 oldest entries evicted: session limit( \(3\))?$/);

    await ui.byTestId('settings-open').click();
    const section = ui.byTestId('settings-storage');
    await expect(section).toBeVisible();
    await expect(section.getByTestId('storage-state')).toHaveAttribute('data-state', 'ok');
    await expect(section.getByTestId('storage-entries')).toHaveText(/^3 of [\d,]+$/);
    await expect(section.getByTestId('storage-bytes')).toHaveText(/^[\d.]+ (B|KiB|MiB) of [\d.]+ (MiB|GiB|TiB)$/);
    const row = section.getByTestId('storage-session-row');
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute('data-session-id', session.id);
    await expect(row).toContainText('Budget');
    await expect(row.locator('td').nth(1)).toHaveText('3');
    await expect(section.getByTestId('storage-dropped')).toHaveText('Dropped bodies: 0');
    expect(pageErrors).toEqual([]);
  } finally {
    await server.stop();
  }
});
