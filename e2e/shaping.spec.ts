/**
 * Issue 11 in the UI: a session with a delay toxic and a response-header rule made in the new-session dialog's
 * forms, its traffic seen with the injected and modified badges, then its rules edited live from the session
 * header and the next request changed by them, with no restart.
 */
import fs from 'node:fs';
import { RecorderPage } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';

const DELAY_MS = 400;

/** A request through the session's port, as an app would make it: its time and the header the rule sets. */
async function through(proxyUrl: string, path: string): Promise<{ ms: number; shaped: string | null; status: number }> {
  const started = performance.now();
  const response = await fetch(`${proxyUrl}${path}`);
  await response.arrayBuffer();
  return { ms: performance.now() - started, shaped: response.headers.get('x-shaped'), status: response.status };
}

test('toxics and header rules from the forms, badges on the traffic, rules edited live', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  await ui.byTestId('new-session-button').click();
  await ui.byTestId('new-session-name').fill('Shaped');
  await ui.byTestId('new-session-target').fill(upstream.url);

  // Toxics: a wrong value is named at once, in the server's words, and flags its tab.
  await ui.byTestId('new-session-tab-toxics').click();
  await ui.byTestId('toxics-delayMs').fill('soon');
  await expect(ui.byTestId('toxics-delayMs-error')).toHaveText('expected a number, got a string');
  await expect(ui.byTestId('toxics-delayMs-error')).toHaveAttribute('data-path', 'toxics.http.delayMs');
  await expect(ui.byTestId('new-session-tab-toxics')).toHaveAttribute('data-invalid', 'true');
  await ui.byTestId('new-session-submit').click();
  await expect(ui.byTestId('new-session-dialog')).toBeVisible();
  await ui.byTestId('toxics-delayMs').fill(String(DELAY_MS));
  await expect(ui.byTestId('toxics-delayMs-error')).toHaveCount(0);
  await ui.byTestId('toxics-match-path').fill('/json*');

  // Modification rules: one response header, added as a row.
  await ui.byTestId('new-session-tab-rules').click();
  await ui.byTestId('rules-responseHeaders-add').click();
  await ui.byTestId('rules-responseHeaders-0-name').fill('X Shaped');
  await expect(ui.byTestId('rules-responseHeaders-0-name-error')).toHaveText('is not a valid header name');
  await ui.byTestId('rules-responseHeaders-0-name').fill('x-shaped');
  await ui.byTestId('rules-responseHeaders-0-value').fill('one');

  // The JSON tab holds what the forms made, and the forms read it back.
  await ui.byTestId('new-session-tab-json').click();
  const editor = ui.byTestId('new-session-json');
  await expect(editor).toHaveAttribute('data-ready', 'true');
  await expect(editor.locator('.view-lines')).toContainText('"delayMs": 400');
  await expect(editor.locator('.view-lines')).toContainText('"x-shaped"');
  await ui.byTestId('new-session-tab-rules').click();
  await expect(ui.byTestId('rules-responseHeaders-0-value')).toHaveValue('one');
  await ui.byTestId('new-session-submit').click();
  await expect(ui.byTestId('new-session-dialog')).toBeHidden();
  const proxyUrl = (await ui.byTestId('connect-setup').textContent()) ?? '';
  expect(proxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

  // Traffic through the session's port: delayed (the delay is the feature being measured) and modified.
  const first = await through(proxyUrl, '/json?n=1');
  expect(first).toMatchObject({ status: 200, shaped: 'one' });
  expect(first.ms).toBeGreaterThanOrEqual(DELAY_MS);
  const row = ui.row('/json?n=1');
  await expect(row.getByTestId('row-badge-injected')).toHaveAttribute('data-kind', 'delay');
  await expect(row.getByTestId('row-badge-modified')).toHaveAttribute('data-rules', 'responseHeaders[0]');
  // Outside the toxic's match: modified, not delayed.
  await through(proxyUrl, '/html');
  await expect(ui.row('/html').getByTestId('row-badge-modified')).toBeVisible();
  await expect(ui.row('/html').getByTestId('row-badge-injected')).toHaveCount(0);
  await ui.openRow('/json?n=1');
  await expect(ui.byTestId('detail-badge-injected')).toHaveText('delay');
  await expect(ui.byTestId('detail-injected')).toContainText(/delayed \d+ ms/);
  await expect(ui.byTestId('detail-modified')).toContainText('responseHeaders[0]');

  // Live, from the header: the forms hold what the server has.
  await ui.byTestId('session-rules-open').click();
  const live = ui.byTestId('live-rules-dialog');
  await expect(live.getByTestId('toxics-delayMs')).toHaveValue(String(DELAY_MS));
  await expect(live.getByTestId('toxics-match-path')).toHaveValue('/json*');
  await live.getByTestId('live-rules-tab-rules').click();
  await expect(live.getByTestId('rules-responseHeaders-0-value')).toHaveValue('one');

  // A rule with a problem is named where it is, and nothing is sent.
  await live.getByTestId('rules-urlRewrites-add').click();
  await live.getByTestId('rules-urlRewrites-0-match').fill('/json(');
  await expect(live.getByTestId('rules-urlRewrites-0-match-error')).toContainText('is not a valid regex');
  await live.getByTestId('live-rules-save').click();
  await expect(live.getByTestId('live-rules-error')).toContainText('Nothing was saved');
  expect((await through(proxyUrl, '/json?n=2')).shaped).toBe('one');
  await live.getByTestId('rules-urlRewrites-0-remove').click();

  // The header gets a new value, a second rule is added and moved first, and the delay goes.
  await live.getByTestId('rules-responseHeaders-0-value').fill('two');
  await live.getByTestId('rules-responseHeaders-add').click();
  await live.getByTestId('rules-responseHeaders-1-name').fill('x-live');
  await live.getByTestId('rules-responseHeaders-1-value').fill('yes');
  await live.getByTestId('rules-responseHeaders-1-up').click();
  await expect(live.getByTestId('rules-responseHeaders-0-name')).toHaveValue('x-live');
  await live.getByTestId('live-rules-tab-toxics').click();
  await live.getByTestId('toxics-delayMs').fill('');
  await live.getByTestId('toxics-match-path').fill('');
  await live.getByTestId('live-rules-save').click();
  await expect(live).toBeHidden();
  await expect(ui.byTestId('toast-info').filter({ hasText: 'Rules of "Shaped" updated' })).toBeVisible();

  // The next request: the new rules, no toxic, same session and port (nothing restarted).
  const next = await fetch(`${proxyUrl}/json?n=3`);
  expect(next.headers.get('x-shaped')).toBe('two');
  expect(next.headers.get('x-live')).toBe('yes');
  const after = ui.row('/json?n=3');
  await expect(after.getByTestId('row-badge-modified')).toHaveAttribute('data-rules', 'responseHeaders[0] responseHeaders[1]');
  await expect(after.getByTestId('row-badge-injected')).toHaveCount(0);
  await expect(ui.byTestId('session-item')).toHaveCount(1);
  await expect(ui.byTestId('connect-setup')).toHaveText(proxyUrl);
});

test('the dialog\'s configuration saved under its name, and a session started from it', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  await ui.byTestId('new-session-button').click();
  await expect(ui.byTestId('saved-configs-select')).toContainText('No saved configuration');
  await ui.byTestId('new-session-target').fill(upstream.url);
  // A config is saved under a name: the server says so, next to the name.
  await ui.byTestId('saved-configs-save').click();
  await expect(ui.byTestId('new-session-name-error')).toContainText('name');
  await ui.byTestId('new-session-name').fill('Slow API');
  await ui.byTestId('new-session-tab-toxics').click();
  await ui.byTestId('toxics-delayMs').fill('300');
  await ui.byTestId('new-session-tab-rules').click();
  await ui.byTestId('rules-requestHeaders-add').click();
  await ui.byTestId('rules-requestHeaders-0-action').selectOption('replace');
  await ui.byTestId('rules-requestHeaders-0-name').fill('content-type');
  await ui.byTestId('rules-requestHeaders-0-value').fill('text/x-saved');
  await ui.byTestId('saved-configs-save').click();
  await expect(ui.byTestId('toast-info').filter({ hasText: 'Configuration "Slow API" saved' })).toBeVisible();
  await expect(ui.byTestId('saved-configs-count')).toHaveText('1/10');
  await ui.byTestId('new-session-cancel').click();

  // Later: a fresh dialog, the saved config loaded into it, and started.
  await ui.byTestId('new-session-button').click();
  await expect(ui.byTestId('new-session-target')).toHaveValue('');
  await ui.byTestId('saved-configs-select').selectOption({ label: 'Slow API' });
  await ui.byTestId('saved-configs-load').click();
  await expect(ui.byTestId('new-session-target')).toHaveValue(upstream.url);
  await expect(ui.byTestId('new-session-name')).toHaveValue('Slow API');
  await ui.byTestId('new-session-tab-toxics').click();
  await expect(ui.byTestId('toxics-delayMs')).toHaveValue('300');
  await ui.byTestId('new-session-submit').click();
  await expect(ui.byTestId('new-session-dialog')).toBeHidden();
  await expect(ui.byTestId('session-item').filter({ hasText: 'Slow API' })).toHaveAttribute('data-status', 'running');
  const proxyUrl = (await ui.byTestId('connect-setup').textContent()) ?? '';

  // The session has the saved toxic and rule: the echo sends back what the rule made of the request.
  const started = performance.now();
  const echoed = await fetch(`${proxyUrl}/echo`, { method: 'POST', body: 'hi', headers: { 'content-type': 'text/plain' } });
  expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  expect(echoed.headers.get('content-type')).toBe('text/x-saved');
  await expect(ui.row('/echo').getByTestId('row-badge-injected')).toHaveAttribute('data-kind', 'delay');
  await expect(ui.row('/echo').getByTestId('row-badge-modified')).toHaveAttribute('data-rules', 'requestHeaders[0]');

  // Exported as a file, deleted, and imported back from that file.
  await ui.byTestId('new-session-button').click();
  await ui.byTestId('saved-configs-select').selectOption({ label: 'Slow API' });
  const [download] = await Promise.all([recorder.page.waitForEvent('download'), ui.byTestId('saved-configs-export').click()]);
  expect(download.suggestedFilename()).toMatch(/\.json$/);
  const file = test.info().outputPath(download.suggestedFilename());
  await download.saveAs(file);
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ name: 'Slow API', targetUrl: upstream.url, toxics: { http: { delayMs: 300 } } });
  await ui.byTestId('saved-configs-delete').click();
  await expect(ui.byTestId('saved-configs-select')).toContainText('No saved configuration');
  await ui.byTestId('saved-configs-file').setInputFiles(file);
  await expect(ui.byTestId('toast-info').filter({ hasText: 'Configuration "Slow API" imported' })).toBeVisible();
  await expect(ui.byTestId('saved-configs-select').locator('option:checked')).toHaveText('Slow API');
  await ui.byTestId('saved-configs-load').click();
  await ui.byTestId('new-session-tab-rules').click();
  await expect(ui.byTestId('rules-requestHeaders-0-value')).toHaveValue('text/x-saved');
  // A file that is not a start config is refused by the server, naming the field.
  const bad = test.info().outputPath('bad.json');
  fs.writeFileSync(bad, JSON.stringify({ mode: 'sideways' }));
  await ui.byTestId('saved-configs-file').setInputFiles(bad);
  await expect(ui.byTestId('new-session-error')).toContainText('mode');
  await ui.byTestId('new-session-cancel').click();
});

test('a recorded response mocked, edited in the mocks view, and answered by map local without the upstream', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const firstProxy = await ui.startReverseSession('Recording', upstream.url);
  expect((await fetch(`${firstProxy}/json?from=recording`)).status).toBe(200);
  await ui.openRow('/json?from=recording');

  // "Mock this response": a mock of GET /json with the recorded status, headers and JSON body, open for editing.
  await ui.byTestId('mock-this-response').click();
  const view = ui.byTestId('mocks-dialog');
  await expect(view).toBeVisible();
  const item = view.getByTestId('mock-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('GET /json');
  await expect(item).toHaveAttribute('aria-current', 'true');
  const mockId = (await item.getAttribute('data-mock-id')) ?? '';
  const editor = view.getByTestId('mock-json');
  await expect(editor).toHaveAttribute('data-ready', 'true');
  await expect(editor.locator('.view-lines')).toContainText('needle-in-the-body');

  // The editor checks against the store's schema; the store's own refusal names its field.
  const replaceText = async (text: string) => {
    // In the gutter: over the text, Monaco's hover on a flagged value would take the click.
    await recorder.page.mouse.move(0, 0);
    await editor.locator('.margin').click({ position: { x: 10, y: 10 } });
    await recorder.page.keyboard.press('Control+A');
    await recorder.page.keyboard.insertText(text);
    await recorder.page.keyboard.press('Control+Shift+End');
    await recorder.page.keyboard.press('Delete');
  };
  const edited = { id: mockId, namespace: 'default', http: { route: '/json', httpMethod: 'GET' }, response: { statusCode: 299, headers: { 'X-Mocked': ['yes'] }, payload: { mocked: true } } };
  await replaceText(JSON.stringify({ ...edited, response: { ...edited.response, statusCode: 700 } }));
  await expect(view.getByTestId('mock-json-problems')).toContainText('599');
  await view.getByTestId('mock-save').click();
  await expect(view.getByTestId('mock-error')).toHaveAttribute('data-field', 'response.statusCode');
  await replaceText(JSON.stringify(edited));
  await expect(view.getByTestId('mock-json-problems')).toHaveCount(0);
  await view.getByTestId('mock-save').click();
  await expect(ui.byTestId('toast-info').filter({ hasText: `Mock ${mockId} saved` })).toBeVisible();
  await expect(item).toContainText('299');
  await view.getByTestId('mocks-close').click();

  // A second session with map local on (from the form): the mock answers, the upstream is never asked.
  await ui.byTestId('new-session-button').click();
  await ui.byTestId('new-session-name').fill('Mapped');
  await ui.byTestId('new-session-target').fill(upstream.url);
  await ui.byTestId('map-local-enabled').check();
  await ui.byTestId('map-local-namespace').fill('not a namespace');
  await expect(ui.byTestId('map-local-error')).toContainText('letters, digits');
  await ui.byTestId('map-local-namespace').fill('');
  await ui.byTestId('new-session-submit').click();
  await expect(ui.byTestId('new-session-dialog')).toBeHidden();
  await expect(ui.byTestId('session-item').filter({ hasText: 'Mapped' })).toHaveAttribute('aria-current', 'true');
  const mappedProxy = (await ui.byTestId('connect-setup').textContent()) ?? '';
  await upstream.close();
  const answer = await fetch(`${mappedProxy}/json?from=mock`);
  expect(answer.status).toBe(299);
  expect(answer.headers.get('x-mocked')).toBe('yes');
  expect(await answer.json()).toEqual({ mocked: true });
  await expect(ui.row('/json?from=mock').getByTestId('row-badge-mapped')).toBeVisible();
  await ui.openRow('/json?from=mock');
  await expect(ui.byTestId('detail-mock-id')).toHaveText(mockId);

  // Deleted from the view: the next request is no longer mapped (the upstream is down: the proxy says 502).
  await ui.byTestId('mocks-open').click();
  await view.getByTestId('mock-item').click();
  await view.getByTestId('mock-delete').click();
  await expect(view.getByTestId('mock-item')).toHaveCount(0);
  await view.getByTestId('mocks-close').click();
  expect((await fetch(`${mappedProxy}/json?after=delete`)).status).toBe(502);
});

test('the JSON tab and the forms carry each other\'s shaping, keeping what the forms cannot show', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  await ui.byTestId('new-session-button').click();
  await ui.byTestId('new-session-tab-json').click();
  const editor = ui.byTestId('new-session-json');
  await expect(editor).toHaveAttribute('data-ready', 'true');
  await editor.locator('.view-lines').click();
  await recorder.page.keyboard.press('Control+A');
  await recorder.page.keyboard.insertText(JSON.stringify({
    targetUrl: upstream.url,
    filters: { excludePaths: ['/health'], excludeStatus: [304] },
    toxics: { http: [{ delayMs: 10, match: { path: '/a/*' } }, { errorRate: 0.5, seed: 7 }] },
    modifications: { urlRewrites: [{ match: '^/v1/(.*)', replace: '/v2/$1' }], bodyReplacements: [{ match: 'a+', replace: 'b', isRegex: true }] },
  }));
  await recorder.page.keyboard.press('Control+Shift+End');
  await recorder.page.keyboard.press('Delete');

  await ui.byTestId('new-session-tab-scope').click();
  await expect(ui.byTestId('filters-excludePaths')).toHaveValue('/health');
  await expect(ui.byTestId('filters-excludeStatus')).toHaveValue('304');
  await ui.byTestId('new-session-tab-rules').click();
  await expect(ui.byTestId('rules-urlRewrites-0-replace')).toHaveValue('/v2/$1');
  await expect(ui.byTestId('rules-bodyReplacements-0-isRegex')).toBeChecked();
  // Two toxic sets are more than the form holds: it says so and keeps them.
  await ui.byTestId('new-session-tab-toxics').click();
  await expect(ui.byTestId('toxics-kept')).toBeVisible();
  await ui.byTestId('new-session-tab-rules').click();
  await ui.byTestId('rules-urlRewrites-0-replace').fill('/v3/$1');
  await ui.byTestId('new-session-tab-json').click();
  await expect(editor.locator('.view-lines')).toContainText('"excludePaths"');
  await ui.byTestId('new-session-submit').click();
  await expect(ui.byTestId('new-session-dialog')).toBeHidden();
  await expect(ui.byTestId('session-item')).toHaveAttribute('data-status', 'running');

  // What the server got, read back live: the edited rewrite, and both toxic sets kept.
  await ui.byTestId('session-rules-open').click();
  const live = ui.byTestId('live-rules-dialog');
  await expect(live.getByTestId('toxics-kept')).toBeVisible();
  await live.getByTestId('live-rules-tab-rules').click();
  await expect(live.getByTestId('rules-urlRewrites-0-replace')).toHaveValue('/v3/$1');
  await expect(live.getByTestId('rules-bodyReplacements-0-match')).toHaveValue('a+');
  await live.getByTestId('live-rules-cancel').click();
  await expect(live).toBeHidden();
});
