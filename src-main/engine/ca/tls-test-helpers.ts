// Test-only helpers shared by the CA test files: real sockets on loopback, nothing mocked.
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';

export interface HandshakeResult {
  authorized: boolean;
  error?: string;
  peerSubjectAltName?: string;
  peerKeyType?: string;
  body?: string;
}

/** An HTTPS server on 127.0.0.1 answering `ok <host header>`; closes with the returned function. */
export async function startHttpsServer(key: string, cert: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = https.createServer({ key, cert }, (req, res) => {
    res.end(`ok ${req.headers.host ?? ''}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** TLS on an existing socket (or a fresh one to 127.0.0.1:port), trusting only `caPem`; then one GET. */
export function tlsGet(opts: { caPem: string; host: string; port?: number; socket?: net.Socket; servername?: string }): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      // Always dial 127.0.0.1 ourselves so `host` only drives the identity check, never DNS.
      socket: opts.socket ?? net.connect(opts.port ?? 0, '127.0.0.1'),
      // checkServerIdentity compares against `host` when servername is absent: an IP host means IP SANs.
      host: opts.host,
      servername: opts.servername,
      ca: [opts.caPem],
      ALPNProtocols: ['http/1.1'],
    });
    let body = '';
    socket.on('secureConnect', () => {
      const peer = socket.getPeerX509Certificate();
      const base = {
        authorized: socket.authorized,
        peerSubjectAltName: peer?.subjectAltName,
        peerKeyType: peer?.publicKey.asymmetricKeyType,
      };
      socket.write(`GET / HTTP/1.1\r\nHost: ${opts.servername ?? opts.host}\r\nConnection: close\r\n\r\n`);
      socket.on('data', (d: Buffer) => { body += d.toString('utf8'); });
      socket.on('end', () => resolve({ ...base, body }));
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve({ authorized: false, error: e.code ?? e.message }));
  });
}

/** Opens a CONNECT tunnel through an HTTP proxy on 127.0.0.1 and returns the raw socket. */
export function connectTunnel(proxyPort: number, authority: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: authority, headers: { host: authority } });
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) reject(new Error(`CONNECT ${authority} -> ${res.statusCode}`));
      else resolve(socket);
    });
    req.on('error', reject);
    req.end();
  });
}
