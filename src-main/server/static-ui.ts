import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

export const UI_PATH = '/ui/recorder/';

/** The renderer under a strict policy: scripts and workers only from us, API calls only to us. */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  // 'self' covers the page's own ws:/wss: origin (CSP Level 3); any other host stays out.
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function registerUi(app: FastifyInstance, uiDir: string | undefined): void {
  app.get('/', (_request, reply) => reply.redirect(UI_PATH));
  app.get('/ui/recorder', (_request, reply) => reply.redirect(UI_PATH));
  const index = uiDir ? path.join(uiDir, 'index.html') : undefined;
  if (!uiDir || !index || !fs.existsSync(index)) {
    app.get(`${UI_PATH}*`, (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The UI is not built: run `npm run build`, then reload.\n'),
    );
    return;
  }
  void app.register(fastifyStatic, {
    root: uiDir,
    prefix: UI_PATH,
    index: ['index.html'],
    wildcard: false,
    setHeaders: (res) => {
      res.header('Content-Security-Policy', UI_CSP);
      res.header('X-Content-Type-Options', 'nosniff');
      res.header('Referrer-Policy', 'no-referrer');
    },
  });
  // Client-side routes fall back to the app shell.
  app.get(`${UI_PATH}*`, (_request, reply) => {
    reply.header('Content-Security-Policy', UI_CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    return reply.sendFile('index.html');
  });
}
