import { api } from './fixtures/headless-server.js';
import { RecorderPage, waitForAppReady } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';
import { curl } from './fixtures/upstream.js';

test('a tag and a note survive a page reload and a server restart', async ({ recorder, upstream, appTarget }) => {
  test.skip(appTarget === 'electron', 'server restarts are a headless-server concern');
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const proxyUrl = await ui.startReverseSession('Annotated', upstream.url);
  expect(await curl(`${proxyUrl}/json`)).toBe(200);
  expect(await curl(`${proxyUrl}/status/500`)).toBe(500);
  await expect(ui.rows()).toHaveCount(2);

  await ui.openRow('/status/500');
  await ui.byTestId('tag-input').fill('bug');
  await ui.byTestId('tag-input').press('Enter');
  await expect(ui.byTestId('tag-chip')).toHaveText(['bug×']);
  await ui.byTestId('notes-input').fill('upstream returns 500 for this path');
  await ui.byTestId('notes-save').click();
  await expect(ui.byTestId('annotation-status')).toHaveAttribute('data-state', 'saved');
  await expect(ui.row('/status/500').getByTestId('row-tag')).toHaveText('bug');
  await ui.setFilter('tag:bug');
  await expect(ui.rows()).toHaveCount(1);
  await ui.setFilter('');

  const checkAnnotations = async () => {
    await expect(ui.rows()).toHaveCount(2);
    await expect(ui.row('/status/500').getByTestId('row-tag')).toHaveText('bug');
    await expect(ui.row('/status/500').getByTestId('row-note-mark')).toBeVisible();
    await ui.openRow('/status/500');
    await expect(ui.byTestId('tag-chip')).toHaveText(['bug×']);
    await expect(ui.byTestId('notes-input')).toHaveValue('upstream returns 500 for this path');
    await ui.setFilter('tag:bug');
    await expect(ui.rows()).toHaveCount(1);
    await ui.setFilter('');
  };

  await recorder.page.reload();
  await waitForAppReady(recorder.page);
  await checkAnnotations();

  await recorder.restartServer();
  const { sessions } = await api<{ sessions: { name: string; entryCount: number }[] }>(recorder.server(), 'GET', '/sessions');
  expect(sessions.map((s) => s.name)).toContain('Annotated');
  await recorder.open();
  await ui.byTestId('session-item').filter({ hasText: 'Annotated' }).click();
  await checkAnnotations();
});
