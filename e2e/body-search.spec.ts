/** Issue 9: the body search asks the server once per change of the text, never on a timer while rows stream in. */
import { RecorderPage } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';

test('body search finds a row by its body text and asks the server once per change, not while rows arrive', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const proxyUrl = await ui.startReverseSession('Search', upstream.url);
  const searches: string[] = [];
  recorder.page.on('request', (r) => {
    if (/\/entries\/search\?/.test(r.url())) searches.push(new URL(r.url()).searchParams.get('q') ?? '');
  });
  // Only the body says "pelican": the URL and headers do not.
  await fetch(`${proxyUrl}/echo`, { method: 'POST', body: '{"bird":"pelican"}', headers: { 'content-type': 'application/json' } });
  await fetch(`${proxyUrl}/other`, { method: 'POST', body: '{"bird":"heron"}', headers: { 'content-type': 'application/json' } });
  await expect(ui.rows()).toHaveCount(2);
  await ui.setFilter('pelican');
  await expect(ui.rows()).toHaveCount(1);
  await expect(ui.row('/echo')).toBeVisible();
  expect(searches).toEqual(['pelican']);
  // Rows keep arriving for a while: no new search for the same text.
  for (let i = 0; i < 15; i++) {
    await fetch(`${proxyUrl}/more/${i}`);
    await recorder.page.waitForTimeout(200);
  }
  expect(searches).toEqual(['pelican']);
  await ui.setFilter('heron');
  await expect(ui.row('/other')).toBeVisible();
  expect(searches).toEqual(['pelican', 'heron']);
});
