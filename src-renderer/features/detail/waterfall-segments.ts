/**
 * The timing waterfall's rows. The measured phases cover the upstream leg only; the rest of the exchange
 * (reading the client's request, the proxy's own work, writing to the client) is shown as its own row, so
 * the bars always add up to the total instead of leaving a silent gap.
 */
import type { Timings } from '../../../src-shared/model.js';

type PhaseKey = 'dnsMs' | 'connectMs' | 'tlsMs' | 'sendMs' | 'waitMs' | 'recvMs';

export interface WaterfallSegment {
  key: PhaseKey | 'otherMs';
  label: string;
  help: string;
  /** Milliseconds; -1 for a phase that did not happen. */
  value: number;
  /** Position and length in percent of the total. */
  left: number;
  width: number;
}

const PHASES: { key: PhaseKey; label: string; help: string }[] = [
  { key: 'dnsMs', label: 'DNS', help: 'Resolving the upstream host name' },
  { key: 'connectMs', label: 'Connect', help: 'Opening the TCP connection' },
  { key: 'tlsMs', label: 'TLS', help: 'TLS handshake' },
  { key: 'sendMs', label: 'Send', help: 'Sending the request' },
  { key: 'waitMs', label: 'Wait', help: 'Waiting for the first response byte' },
  { key: 'recvMs', label: 'Receive', help: 'Receiving the response' },
];

const OTHER = {
  key: 'otherMs' as const,
  label: 'Proxy / client',
  help: 'Time outside the measured upstream phases: reading the request from the client, the proxy\'s own work, waiting for a pooled connection, and writing the response to the client',
};

/** Below this the remainder is rounding noise between separately rounded phases. */
const NOISE_MS = 0.05;

export function waterfallSegments(timings: Timings): WaterfallSegment[] {
  const measured = PHASES.reduce((sum, p) => sum + Math.max(0, timings[p.key]), 0);
  const other = timings.totalMs - measured;
  const hasOther = other > NOISE_MS;
  const scale = Math.max(measured + (hasOther ? other : 0), timings.totalMs, 1e-9);
  let offset = 0;
  const segments: WaterfallSegment[] = PHASES.map((phase) => {
    const value = timings[phase.key];
    const segment = { ...phase, value, left: (offset / scale) * 100, width: value > 0 ? (value / scale) * 100 : 0 };
    offset += Math.max(0, value);
    return segment;
  });
  if (hasOther) segments.push({ ...OTHER, value: round(other), left: (offset / scale) * 100, width: (other / scale) * 100 });
  return segments;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
