import net from 'node:net';

/** Whether something (ours or another program) already listens on host:port. */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
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
