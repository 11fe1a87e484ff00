import { RecorderPage } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';

test('the new-session dialog validates the target, checks the port live and shows server refusals plainly', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  await ui.byTestId('new-session-button').click();

  await ui.byTestId('new-session-target').fill('localhost:3000');
  await expect(ui.byTestId('new-session-target-error')).toContainText('http:// or https://');
  await ui.byTestId('new-session-submit').click();
  await expect(ui.byTestId('new-session-dialog')).toBeVisible();

  // A port that is taken (the upstream listens on it) is reported before submitting.
  const upstreamPort = new URL(upstream.url).port;
  await ui.byTestId('new-session-target').fill(upstream.url);
  await ui.byTestId('new-session-port').fill(upstreamPort);
  await expect(ui.byTestId('new-session-port-status')).toHaveAttribute('data-state', 'taken');
  await expect(ui.byTestId('new-session-port-status')).toContainText(`Port ${upstreamPort} is not available`);
  await ui.byTestId('new-session-port').fill('');
  await expect(ui.byTestId('new-session-port-status')).toHaveAttribute('data-state', 'idle');

  // The full configuration editor starts from the form and reaches every option; what the server
  // refuses in it, the dialog says plainly, naming the field.
  await ui.byTestId('new-session-tab-json').click();
  const editor = ui.byTestId('new-session-json');
  await expect(editor).toHaveAttribute('data-ready', 'true');
  await expect(editor.locator('.view-lines')).toContainText(upstream.url);
  await editor.locator('.view-lines').click();
  await recorder.page.keyboard.press('Control+A');
  await recorder.page.keyboard.insertText(JSON.stringify({ mode: 'reverse', targetUrl: upstream.url, mapLocal: { enabled: 'yes' } }));
  // Monaco auto-closes brackets while text is inserted: drop whatever it added after the cursor.
  await recorder.page.keyboard.press('Control+Shift+End');
  await recorder.page.keyboard.press('Delete');
  await ui.byTestId('new-session-submit').click();
  await expect(ui.byTestId('new-session-error')).toContainText('The server refused this session');
  await expect(ui.byTestId('new-session-error')).toContainText('mapLocal.enabled: expected a boolean, got a string');

  // Back to the basics tab: the form picked up the JSON's fields.
  await ui.byTestId('new-session-tab-form').click();
  await expect(ui.byTestId('new-session-target')).toHaveValue(upstream.url);
  await ui.byTestId('new-session-cancel').click();
  await expect(ui.byTestId('new-session-dialog')).toBeHidden();
});
