/**
 * Issue 16, sessions: Start only where it can work, a top-bar badge that follows the session, the open session
 * kept across a reload, the port-move warning, and the new-session dialog's forward mode and checkboxes.
 */
import { api } from './fixtures/headless-server.js';
import { RecorderPage } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';
import { curl } from './fixtures/upstream.js';

interface ApiSession { id: string; name: string; listenPort: number; proxyUrl: string }

test.beforeEach(({ appTarget }) => {
  test.skip(appTarget === 'electron', 'sessions are set up through the headless REST API here');
});

async function startSession(recorder: { server(): Parameters<typeof api>[0] }, body: Record<string, unknown>): Promise<ApiSession> {
  return (await api<{ session: ApiSession }>(recorder.server(), 'POST', '/start', body)).session;
}

/** The mode radios sit under their segmented-control labels: click the label, as a person does. */
async function pickMode(ui: RecorderPage, mode: 'reverse' | 'forward'): Promise<void> {
  await ui.byTestId(`new-session-mode-${mode}`).locator('xpath=..').click();
  await expect(ui.byTestId(`new-session-mode-${mode}`)).toBeChecked();
}

test('a running session offers Stop only, a stopped one Start, and the badge says live only while running', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  await ui.startReverseSession('Badge check', upstream.url);
  const item = ui.byTestId('session-item').filter({ hasText: 'Badge check' });
  const badge = ui.byTestId('stream-state');

  await expect(badge).toHaveText('live');
  await expect(item.getByTestId('session-stop')).toBeVisible();
  await expect(item.getByTestId('session-start')).toHaveCount(0);
  await expect(item.getByTestId('session-restart')).toHaveCount(0);

  await item.getByTestId('session-stop').click();
  await expect(item).toHaveAttribute('data-status', 'stopped');
  await expect(badge).toHaveAttribute('data-state', 'stopped');
  await expect(badge).toHaveText('stopped');
  await expect(badge).not.toHaveClass(/\bopen\b/);
  await expect(item.getByTestId('session-stop')).toHaveCount(0);

  await item.getByTestId('session-start').click();
  await expect(item).toHaveAttribute('data-status', 'running');
  await expect(badge).toHaveAttribute('data-state', 'open');
  await expect(badge).toHaveText('live');
  await expect(ui.byTestId('toast-error')).toHaveCount(0);
});

test('the open session stays selected across a reload, through #session= in the URL', async ({ recorder, upstream }) => {
  const older = await startSession(recorder, { name: 'Older one', targetUrl: upstream.url });
  await startSession(recorder, { name: 'Newer one', targetUrl: upstream.url });
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const olderItem = ui.byTestId('session-item').filter({ hasText: 'Older one' });
  // Nothing in the URL yet: the newest is selected, as before.
  await expect(ui.byTestId('current-session')).toContainText('Newer one');

  await olderItem.click();
  await expect(olderItem).toHaveAttribute('aria-current', 'true');
  await expect(recorder.page).toHaveURL(new RegExp(`#session=${older.id}$`));
  // The token left the address bar and stays out of it.
  expect(recorder.page.url()).not.toContain('token=');

  await recorder.page.reload();
  await recorder.page.locator('body[data-app-ready="true"]').waitFor({ state: 'attached' });
  await expect(olderItem).toHaveAttribute('aria-current', 'true');
  await expect(ui.byTestId('current-session')).toContainText('Older one');
});

test('Start warns before moving off a taken port, names its holder, and can be cancelled', async ({ recorder, upstream }) => {
  const first = await startSession(recorder, { name: 'Checkout flow', targetUrl: upstream.url });
  await api(recorder.server(), 'POST', `/${first.id}/stop`);
  const taker = await startSession(recorder, { name: 'Port taker', targetUrl: upstream.url, listenPort: first.listenPort });
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const item = ui.byTestId('session-item').filter({ hasText: 'Checkout flow' });
  const dialog = ui.byTestId('confirm-dialog');

  // An item shows its actions once selected.
  await item.click();
  await item.getByTestId('session-start').click();
  await expect(dialog).toContainText(`Port ${first.listenPort} is taken by session "Port taker"`);
  await expect(dialog).not.toContainText(taker.id);
  await ui.byTestId('confirm-cancel').click();
  await expect(dialog).toBeHidden();
  await expect(item).toHaveAttribute('data-status', 'stopped');
  await expect(item.getByTestId('session-port')).toHaveText(`:${first.listenPort}`);

  await item.getByTestId('session-start').click();
  await expect(dialog).toBeVisible();
  await ui.byTestId('confirm-ok').click();
  await expect(item).toHaveAttribute('data-status', 'running');
  await expect(item.getByTestId('session-port')).not.toHaveText(`:${first.listenPort}`);
  await expect(ui.byTestId('toast-info').filter({ hasText: `port ${first.listenPort} was taken` })).toBeVisible();

  // A client still aimed at the old port reaches the session holding it, which recorded it, not the moved one.
  expect(await curl(`http://127.0.0.1:${first.listenPort}/json`)).toBe(200);
  await expect.poll(async () => (await api<{ total: number }>(recorder.server(), 'GET', `/${taker.id}/entries?limit=1`)).total).toBe(1);
});

test('forward mode disables the target URL; the HTTPS checkboxes sit beside their labels with a visible focus ring', async ({ recorder }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  await ui.byTestId('new-session-button').click();
  const target = ui.byTestId('new-session-target');
  await expect(target).toBeEnabled();
  await target.fill('https://left.over');
  await pickMode(ui, 'forward');
  await expect(target).toBeDisabled();
  await expect(target).toHaveValue('');
  await pickMode(ui, 'reverse');
  await expect(target).toHaveValue('https://left.over');
  await pickMode(ui, 'forward');

  for (const id of ['new-session-mitm', 'new-session-ignore-cert']) {
    const box = ui.byTestId(id);
    const label = box.locator('xpath=..');
    const boxRect = (await box.boundingBox())!;
    const labelRect = (await label.boundingBox())!;
    // The box is a box (not stretched across the row) at the label's start, and the text follows right after it.
    expect(boxRect.width).toBeLessThan(24);
    expect(boxRect.x - labelRect.x).toBeLessThan(4);
    const textStart = await label.evaluate((el) => {
      // e2e is typed without the DOM library: reach the page's objects through the element.
      const range = el.ownerDocument.createRange();
      range.selectNodeContents(el.lastChild);
      return range.getBoundingClientRect().left;
    });
    expect(textStart - (boxRect.x + boxRect.width)).toBeLessThan(16);
  }

  // Keyboard focus shows a ring around the box itself.
  await ui.byTestId('new-session-namespace').click();
  await recorder.page.keyboard.press('Tab');
  const mitm = ui.byTestId('new-session-mitm');
  await expect(mitm).toBeFocused();
  const ring = await mitm.evaluate((el) => ({ visible: el.matches(':focus-visible'), outline: el.ownerDocument.defaultView!.getComputedStyle(el).outlineStyle }));
  expect(ring).toEqual({ visible: true, outline: 'solid' });
});

test('the JSON tab flags what the server would refuse, as the server would', async ({ recorder }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  await ui.byTestId('new-session-button').click();
  await pickMode(ui, 'forward');
  await ui.byTestId('new-session-tab-json').click();
  const editor = ui.byTestId('new-session-json');
  await expect(editor).toHaveAttribute('data-ready', 'true');
  // The form's forward session has no map local: the configuration does not say so either.
  await expect(editor.locator('.view-lines')).not.toContainText('mapLocal');
  await editor.locator('.view-lines').click();
  await recorder.page.keyboard.press('Control+A');
  await recorder.page.keyboard.insertText('{"mode": "forward", "mapLocal": {}, "replay": true');
  await recorder.page.keyboard.press('Control+Shift+End');
  await recorder.page.keyboard.press('Delete');
  await recorder.page.keyboard.insertText('}');
  // mapLocal is accepted now, but not without "enabled"; an option the server does not know is flagged too.
  const problems = ui.byTestId('new-session-json-problems');
  await expect(problems).toContainText('"enabled"');
  await expect(problems).toContainText('replay');
});
