/** Issue 16, keyboard and dialogs: every dialog closes on Esc and keeps Tab inside; sessions and rows work without a mouse. */
import type { Page } from '@playwright/test';
import { RecorderPage } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';
import { curl } from './fixtures/upstream.js';

/** Tab `times` times and report whether focus ever left the element with `testId`. */
async function focusStaysIn(page: Page, testId: string, times: number): Promise<boolean> {
  for (let i = 0; i < times; i++) {
    await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
    const inside = await page.getByTestId(testId).evaluate((el) => el.contains(el.ownerDocument.activeElement));
    if (!inside) return false;
  }
  return true;
}

test('Esc closes every dialog, Tab stays inside it, and focus goes back to where it was', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const page = recorder.page;

  await ui.byTestId('settings-open').focus();
  await page.keyboard.press('Enter');
  await expect(ui.byTestId('settings-dialog')).toBeVisible();
  expect(await focusStaysIn(page, 'settings-dialog', 25)).toBe(true);
  await page.keyboard.press('Escape');
  await expect(ui.byTestId('settings-dialog')).toBeHidden();
  await expect(ui.byTestId('settings-open')).toBeFocused();

  await ui.byTestId('new-session-button').focus();
  await page.keyboard.press('Enter');
  await expect(ui.byTestId('new-session-dialog')).toBeVisible();
  expect(await focusStaysIn(page, 'new-session-dialog', 30)).toBe(true);
  await page.keyboard.press('Escape');
  await expect(ui.byTestId('new-session-dialog')).toBeHidden();
  await expect(ui.byTestId('new-session-button')).toBeFocused();

  await ui.startReverseSession('Esc target', upstream.url);
  await ui.byTestId('session-delete').first().focus();
  await page.keyboard.press('Enter');
  await expect(ui.byTestId('confirm-dialog')).toBeVisible();
  await expect(ui.byTestId('confirm-cancel')).toBeFocused();
  expect(await focusStaysIn(page, 'confirm-dialog', 5)).toBe(true);
  await page.keyboard.press('Escape');
  await expect(ui.byTestId('confirm-dialog')).toBeHidden();
  await expect(ui.byTestId('session-item')).toHaveCount(1);
});

test('sessions and rows can be reached and opened with the keyboard alone; resizers move with the arrows', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const page = recorder.page;
  const first = await ui.startReverseSession('First', upstream.url);
  await ui.startReverseSession('Second', upstream.url);
  expect(await curl(`${first}/json`)).toBe(200);
  expect(await curl(`${first}/html`)).toBe(200);

  // Newest first: "Second" is selected; reach the list by Tab from the New button, then go down to "First".
  await ui.byTestId('new-session-button').focus();
  const second = ui.byTestId('session-item').filter({ hasText: 'Second' });
  const firstItem = ui.byTestId('session-item').filter({ hasText: 'First' });
  await page.keyboard.press('Tab');
  await expect(second).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(firstItem).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(firstItem).toHaveAttribute('aria-current', 'true');
  await expect(ui.rows()).toHaveCount(2);

  await ui.byTestId('entries-scroll').focus();
  await page.keyboard.press('ArrowDown');
  await expect(ui.rows().first()).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowDown');
  await expect(ui.rows().nth(1)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  await expect(ui.byTestId('detail-loaded')).toBeVisible();
  await expect(ui.byTestId('detail-request-line')).toContainText('/html');

  const path = ui.byTestId('col-path');
  const before = (await path.boundingBox())!.width;
  await ui.byTestId('col-resize-path').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect.poll(async () => (await path.boundingBox())!.width).toBeGreaterThan(before);

  const pane = ui.byTestId('detail-pane');
  const paneBefore = (await pane.boundingBox())!.width;
  await ui.byTestId('detail-resize').focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(async () => (await pane.boundingBox())!.width).toBeLessThan(paneBefore);

  await ui.byTestId('entries-scroll').focus();
  await page.keyboard.press('Escape');
  await expect(ui.byTestId('detail-pane')).toBeHidden();
});
