import { randomUUID } from 'node:crypto';
import type { Entry } from '../../../src-shared/model.js';
import type { EntryBodies, SessionRecord } from '../store/store-types.js';
import { buildHttpEntry } from './entry-builder.js';
import type { CapturedExchange } from './http-capture.js';
import type { TunnelRecord } from '../sessions/proxy-session.js';

/** A finished entry and its raw body bytes, ready for the store (built where the traffic was captured). */
export interface CapturedEntry {
  entry: Entry;
  bodies: EntryBodies;
}

export function httpEntry(config: SessionRecord, exchange: CapturedExchange): CapturedEntry {
  const built = buildHttpEntry(config.id, exchange);
  if (config.ignoreUpstreamCertErrors && built.entry.request.url.startsWith('https:')) built.entry.upstreamCertErrorsIgnored = true;
  return built;
}

export function tunnelEntry(sessionId: string, tunnel: TunnelRecord): CapturedEntry {
  const entry: Entry = {
    id: randomUUID(),
    sessionId,
    entryType: 'tunnel',
    startedAt: new Date(tunnel.startedAt).toISOString(),
    request: {
      method: 'CONNECT',
      url: `${tunnel.host.includes(':') ? `[${tunnel.host}]` : tunnel.host}:${tunnel.port}`,
      httpVersion: '1.1',
      headers: [],
      body: { size: tunnel.bytesUp, capturedSize: 0, truncated: tunnel.bytesUp > 0 },
      remoteAddress: tunnel.remoteAddress,
      remotePort: tunnel.remotePort,
    },
    durationMs: tunnel.durationMs,
    timings: { dnsMs: -1, connectMs: -1, tlsMs: -1, sendMs: -1, waitMs: -1, recvMs: -1, totalMs: tunnel.durationMs },
    tags: [],
    notes: '',
    mapLocal: false,
    tunnel: { host: tunnel.host, port: tunnel.port, bytesUp: tunnel.bytesUp, bytesDown: tunnel.bytesDown, durationMs: tunnel.durationMs },
  };
  if (tunnel.error) entry.error = { code: tunnel.error, message: `the tunnel failed: ${tunnel.error}` };
  return { entry, bodies: {} };
}
