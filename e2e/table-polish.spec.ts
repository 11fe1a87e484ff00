/** Issue 16, table and detail: pending rows, the bad-filter message, the 1,024 px layout, the collapsible connect panel. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RecorderPage } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';
import { curl } from './fixtures/upstream.js';

/** An upstream that answers only when the test says so: the request stays in flight as long as needed. */
async function heldUpstream(): Promise<{ url: string; release(): void; close(): Promise<void> }> {
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const release = () => {
    for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end('{"slow":true}');
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    release,
    close: () => {
      release();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Whether the filter's placeholder text fits inside the input's text box (not cut with an ellipsis). */
async function placeholderFits(ui: RecorderPage): Promise<boolean> {
  return ui.byTestId('filter-input').evaluate((el) => {
    // The e2e files are typed without the DOM library (el is untyped here): reach the page's globals through it.
    const doc = el.ownerDocument;
    const view = doc.defaultView!;
    const probe = doc.createElement('span');
    probe.style.font = view.getComputedStyle(el).font;
    probe.style.whiteSpace = 'pre';
    probe.textContent = el.placeholder;
    doc.body.appendChild(probe);
    const width = probe.getBoundingClientRect().width;
    probe.remove();
    const style = view.getComputedStyle(el);
    return width <= el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  });
}

test('a request in flight shows as a pending row with its elapsed time, then completes in place', async ({ recorder }) => {
  const upstream = await heldUpstream();
  try {
    await recorder.open();
    const ui = new RecorderPage(recorder.page);
    const proxyUrl = await ui.startReverseSession('Slow API', upstream.url);
    const response = fetch(`${proxyUrl}/slow/report`, { method: 'POST', body: 'x' });

    const row = ui.row('/slow/report');
    await expect(row).toBeVisible();
    await expect(row).toContainText('POST');
    await expect(row.locator('.cell-status')).toHaveText('pending');
    await expect(row.getByTestId('row-elapsed')).toHaveText(/\d+ ms …|\d\.\d+ s …/);
    const id = await row.getAttribute('data-entry-id');

    await row.click();
    await expect(ui.byTestId('detail-pending')).toBeVisible();

    upstream.release();
    expect((await response).status).toBe(200);
    await expect(row.locator('.cell-status')).toHaveText('200');
    await expect(ui.rows()).toHaveCount(1);
    expect(await row.getAttribute('data-entry-id')).toBe(id);
    await expect(ui.byTestId('detail-loaded')).toBeVisible();
  } finally {
    await upstream.close();
  }
});

test('a bad filter expression says what is wrong and where; the controls keep their place', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const proxyUrl = await ui.startReverseSession('Filters', upstream.url);
  expect(await curl(`${proxyUrl}/json`)).toBe(200);
  await expect(ui.rows()).toHaveCount(1);

  const placeholder = (await ui.byTestId('filter-input').getAttribute('placeholder')) ?? '';
  expect(placeholder).not.toMatch(/\($/);
  expect(await placeholderFits(ui), 'the placeholder fits the input').toBe(true);

  const tagBox = await ui.byTestId('filter-tag').boundingBox();
  await ui.setFilter('nonsense:::(');
  const errors = ui.byTestId('filter-errors');
  await expect(errors).toContainText('at character 1');
  await expect(errors).toContainText('"nonsense" is not a filter field');
  await expect(ui.byTestId('filter-input')).toHaveAttribute('aria-invalid', 'true');

  await ui.setFilter('json');
  await expect(ui.byTestId('filter-count')).toHaveText('1 entry');
  expect(await ui.byTestId('filter-tag').boundingBox()).toEqual(tagBox);
  await ui.setFilter('nomatch-at-all');
  await expect(ui.byTestId('filter-count')).toHaveText('0 of 1');
  expect(await ui.byTestId('filter-tag').boundingBox()).toEqual(tagBox);
});

test('at 1,024 px with the detail open, the URL and Status columns stay visible', async ({ recorder, upstream }, testInfo) => {
  await recorder.page.setViewportSize({ width: 1024, height: 768 });
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const proxyUrl = await ui.startReverseSession('Narrow', upstream.url);
  expect(await curl(`${proxyUrl}/json?page=2`)).toBe(200);
  await ui.openRow('/json');

  const viewport = await ui.byTestId('entries-scroll').boundingBox();
  for (const column of ['time', 'method', 'host', 'path', 'status']) {
    const box = await ui.byTestId(`col-${column}`).boundingBox();
    expect(box, `${column} header`).not.toBeNull();
    expect(box!.x + box!.width, `${column} header inside the table`).toBeLessThanOrEqual(viewport!.x + viewport!.width + 1);
    await expect(ui.byTestId(`col-${column}`)).toBeInViewport({ ratio: 1 });
  }
  await expect(ui.row('/json').locator('.cell-status')).toBeInViewport();
  await expect(ui.byTestId('detail-pane')).toBeInViewport();
  expect(await placeholderFits(ui), 'the filter placeholder fits at 1,024 px').toBe(true);
  await recorder.page.screenshot({ path: testInfo.outputPath('layout-1024.png') });
});

test('the How to connect panel collapses and stays collapsed after a reload', async ({ recorder, upstream }) => {
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  await ui.startReverseSession('Connect', upstream.url);
  const toggle = ui.byTestId('connect-toggle');
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  const open = (await ui.byTestId('connect-panel').boundingBox())!.height;
  await toggle.click();
  await expect(ui.byTestId('connect-setup')).toBeHidden();
  expect((await ui.byTestId('connect-panel').boundingBox())!.height).toBeLessThan(open);
  await recorder.page.reload();
  await expect(ui.byTestId('connect-toggle')).toHaveAttribute('aria-expanded', 'false');
  await expect(ui.byTestId('connect-setup')).toBeHidden();
});

test('"Raw" shows the wire bytes as a hex dump in the pane, ASCII column reachable, without downloading', async ({ recorder, upstream }) => {
  await recorder.page.setViewportSize({ width: 1024, height: 768 });
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const proxyUrl = await ui.startReverseSession('Raw bytes', upstream.url);
  expect(await curl(`${proxyUrl}/json?raw=1`)).toBe(200);
  await ui.openRow('/json');
  let downloads = 0;
  recorder.page.on('download', () => downloads++);
  await ui.byTestId('body-raw-toggle-response').click();
  const raw = ui.byTestId('body-raw-response');
  await expect(raw).toBeVisible();
  // The first line: offset, hex, and the ASCII column of `{"hello":"world"` between bars.
  await expect(raw).toContainText(/^00000000 {2}7b 22 68 65/);
  await expect(raw).toContainText('|{"hello":"world"|');
  // Not cut off: the dump scrolls sideways, and scrolled to its end the closing bar of the first line is in view.
  const reach = await raw.evaluate((el) => {
    const view = el.ownerDocument.defaultView!;
    el.scrollLeft = el.scrollWidth;
    return { overflow: view.getComputedStyle(el).overflowX, atEnd: Math.abs(el.scrollLeft + el.clientWidth - el.scrollWidth) <= 1 };
  });
  expect(['auto', 'scroll']).toContain(reach.overflow);
  expect(reach.atEnd).toBe(true);
  expect(downloads).toBe(0);
});
