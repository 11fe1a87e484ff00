/** The detail view shows a Latin-1 body as text with its charset, and header values as text with their exact bytes. */
import net from 'node:net';
import { RecorderPage } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';

const concat = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const ZOE = [0x5a, 0x6f, 0xc3, 0xab];

/** An upstream that answers every connection with exact bytes: a Latin-1 body, a UTF-8 and a non-UTF-8 header. */
async function rawUpstream(): Promise<{ url: string; close(): void }> {
  const body = concat('caf', [0xe9], ' ', [0x80]);
  const answer = concat('HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=iso-8859-1\r\nX-Name: ', ZOE, '\r\nX-Raw: a', [0xff],
    `b\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, [...body]);
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(answer));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => server.close() };
}

function rawRequest(port: number, request: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', () => undefined);
    socket.on('end', () => resolve());
    socket.on('error', reject);
  });
}

test('a Latin-1 body and UTF-8 / non-UTF-8 header bytes show as text', async ({ recorder }) => {
  const upstream = await rawUpstream();
  try {
    await recorder.open();
    const ui = new RecorderPage(recorder.page);
    const proxyUrl = await ui.startReverseSession('Charsets', upstream.url);
    await rawRequest(Number(new URL(proxyUrl).port), concat('GET /latin HTTP/1.1\r\nHost: x\r\nX-Name: ', ZOE, '\r\nConnection: close\r\n\r\n'));
    await expect(ui.rows()).toHaveCount(1);
    await ui.openRow('/latin');
    await expect(ui.byTestId('body-charset-response')).toHaveText('decoded as windows-1252');
    await expect(ui.byTestId('body-text-response')).toContainText('café €');

    await ui.byTestId('detail-tab-headers').click();
    await expect(ui.byTestId('request-headers')).toContainText('Zoë');
    await expect(ui.byTestId('response-headers')).toContainText('Zoë');
    await expect(ui.byTestId('response-headers')).toContainText('aÿb');
    await expect(ui.byTestId('header-not-utf8')).toHaveCount(1);
    const exact = ui.byTestId('response-headers').locator('td[data-raw-bytes]');
    await expect(exact.first()).toHaveAttribute('title', 'Exact bytes (shown as UTF-8): 5a 6f c3 ab');
    await expect(exact.nth(1)).toHaveAttribute('title', /not valid UTF-8.*: 61 ff 62$/);
  } finally {
    upstream.close();
  }
});
