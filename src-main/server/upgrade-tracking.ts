/**
 * Sockets handed over on 'upgrade' leave the HTTP server's bookkeeping, so a client that keeps a refused upgrade open
 * would hold close() forever: track them, end the refused ones, and destroy whatever is left when the server closes.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';

export function trackUpgrades(app: FastifyInstance): void {
  const upgraded = new Set<Duplex>();
  app.server.on('upgrade', (_request: unknown, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    endWhenRefused(socket);
  });
  app.addHook('preClose', (done) => {
    for (const socket of upgraded) socket.destroy();
    done();
  });
}

/**
 * An upgrade the API refused (no token, a bad path, a bad URL, no such route) is answered with a plain HTTP response
 * on a socket that no HTTP server reads any more: nobody would notice the client leaving, and each one would hold a
 * file descriptor for ever. @fastify/websocket routes the upgrade through a ServerResponse bound to the socket (run
 * synchronously before this listener); an accepted upgrade is hijacked and that response never finishes.
 */
function endWhenRefused(socket: Duplex): void {
  const response = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!response) return;
  const end = () => {
    socket.end();
    socket.resume();
    setTimeout(() => socket.destroy(), 2_000).unref();
  };
  if (response.writableFinished) end();
  else response.once('finish', end);
}
