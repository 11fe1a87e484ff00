/**
 * Fallback upstream when nginx is not installed (the bench warns: figures are then not comparable).
 * Usage: node --import tsx bench/proxy-upstream.ts   (prints "listening PORT"; serves /1k.bin and /100k.bin)
 */
import http from 'node:http';

const files: Record<string, Buffer> = {
  '/1k.bin': Buffer.alloc(1024, 'a'),
  '/100k.bin': Buffer.alloc(100 * 1024, 'b'),
};

const server = http.createServer((req, res) => {
  const body = files[req.url ?? ''];
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
