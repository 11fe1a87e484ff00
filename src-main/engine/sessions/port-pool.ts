import net from 'node:net';
import { ApiError } from '../../../src-shared/errors.js';

/** Whether something (ours or another program) already listens on host:port. */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * Refuse an address this machine cannot listen on before any port is tried: every candidate port would fail
 * the same way, and trying the whole range takes seconds before it ends in a misleading "no free port".
 */
export function assertListenableHost(host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRNOTAVAIL') {
        reject(new ApiError('bad_request', `listenHost: ${host} is not an address of this machine`, 'listenHost'));
      } else if (e.code === 'EAFNOSUPPORT' || e.code === 'EINVAL') {
        reject(new ApiError('bad_request', `listenHost: this machine cannot listen on ${host} (${e.code})`, 'listenHost'));
      } else {
        // Anything else (EACCES under a sandbox, fd exhaustion) is not about the address: let the port search report it.
        resolve();
      }
    });
    probe.listen({ port: 0, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

export interface PortRange {
  start: number;
  end: number;
}

/** Candidate ports for auto-assignment, starting after the last one handed out so freed ports cool down. */
export class PortCursor {
  private next: number;
  constructor(private readonly range: PortRange) {
    this.next = range.start;
  }

  *candidates(): Generator<number> {
    const size = this.range.end - this.range.start + 1;
    for (let i = 0; i < size; i++) {
      const port = this.range.start + ((this.next - this.range.start + i) % size);
      yield port;
    }
  }

  advancePast(port: number): void {
    this.next = port >= this.range.end ? this.range.start : port + 1;
  }
}
