import { RecorderPage, waitForAppReady } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';

test('a wrong token gets a clear message and the prompt again; the right one opens the app', async ({ recorder, token, appTarget }) => {
  test.skip(appTarget === 'electron', 'the desktop window has no token');
  const page = recorder.page;
  const ui = new RecorderPage(page);
  const base = `${recorder.server().url}/ui/recorder/`;

  await page.goto(`${base}#token=not-the-token`);
  await expect(ui.byTestId('token-error')).toContainText('401');
  await expect(ui.byTestId('token-error')).toContainText('rejected');
  await expect(ui.byTestId('token-prompt')).toBeVisible();
  // The token never stays in the visible URL.
  expect(page.url()).toBe(base);

  await ui.byTestId('token-input').fill('still-wrong');
  await ui.byTestId('token-submit').click();
  await expect(ui.byTestId('token-error')).toContainText('401');

  await ui.byTestId('token-input').fill(token);
  await ui.byTestId('token-submit').click();
  await waitForAppReady(page);
  await expect(ui.byTestId('main-view')).toBeVisible();

  // Kept for the tab: a reload needs no prompt.
  await page.reload();
  await waitForAppReady(page);
  expect(page.url()).toBe(base);
});

test('the token from the URL fragment is used and removed from the address bar', async ({ recorder }) => {
  await recorder.open();
  expect(recorder.page.url()).not.toContain('token');
});
