import { firstVisibleRowId, RecorderPage } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';
import { curl } from './fixtures/upstream.js';

function urls(base: string, from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${base}/json?n=${from + i}`);
}

test('new rows stream in without moving what the user is looking at', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const proxyUrl = await ui.startReverseSession('Scrolling', upstream.url);
  await curl(urls(proxyUrl, 0, 1)[0] as string, ['--parallel', '--parallel-max', '8', ...urls(proxyUrl, 1, 79)]);
  await expect(ui.byTestId('filter-count')).toHaveText('80 entries');

  // Newest first: new rows are inserted above what is on screen.
  await ui.byTestId('col-time').getByRole('button').click();
  await ui.byTestId('col-time').getByRole('button').click();
  await expect(ui.byTestId('col-time')).toHaveAttribute('aria-sort', 'descending');
  await ui.byTestId('entries-scroll').hover();
  await recorder.page.mouse.wheel(0, 26 * 20);
  await expect.poll(() => firstVisibleRowId(ui)).not.toBeNull();
  const anchor = await firstVisibleRowId(ui);

  await curl(urls(proxyUrl, 100, 1)[0] as string, ['--parallel', '--parallel-max', '8', ...urls(proxyUrl, 101, 19)]);
  await expect(ui.byTestId('filter-count')).toHaveText('100 entries');
  await recorder.page.waitForTimeout(200);
  expect(await firstVisibleRowId(ui)).toBe(anchor);
});
