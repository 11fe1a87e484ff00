import type { Timings } from '../../../src-shared/model.js';
import { formatDuration } from '../entries/columns.js';

const PHASES: { key: keyof Timings; label: string; help: string }[] = [
  { key: 'dnsMs', label: 'DNS', help: 'Resolving the upstream host name' },
  { key: 'connectMs', label: 'Connect', help: 'Opening the TCP connection' },
  { key: 'tlsMs', label: 'TLS', help: 'TLS handshake' },
  { key: 'sendMs', label: 'Send', help: 'Sending the request' },
  { key: 'waitMs', label: 'Wait', help: 'Waiting for the first response byte' },
  { key: 'recvMs', label: 'Receive', help: 'Receiving the response' },
];

export function TimingWaterfall({ timings }: { timings: Timings }) {
  const happened = PHASES.map((p) => Math.max(0, timings[p.key]));
  const sum = happened.reduce((a, b) => a + b, 0);
  const scale = Math.max(sum, timings.totalMs, 1);
  let offset = 0;
  return (
    <div className="waterfall" data-testid="timing-waterfall">
      {PHASES.map((phase, i) => {
        const value = timings[phase.key];
        const width = value > 0 ? (value / scale) * 100 : 0;
        const left = (offset / scale) * 100;
        offset += happened[i] ?? 0;
        return (
          <div className="wf-row" key={phase.key} data-testid={`timing-${phase.key.replace('Ms', '')}`} title={phase.help}>
            <span className="wf-label">{phase.label}</span>
            <span className="wf-track">
              {value >= 0 && <span className={`wf-bar wf-${phase.key}`} style={{ left: `${left}%`, width: `max(${width}%, 2px)` }} />}
            </span>
            <span className="wf-value">{value < 0 ? 'did not happen' : value < 1 ? `${value.toFixed(2)} ms` : formatDuration(value)}</span>
          </div>
        );
      })}
      <div className="wf-row wf-total" data-testid="timing-total">
        <span className="wf-label">Total</span>
        <span className="wf-track" />
        <span className="wf-value">{formatDuration(timings.totalMs)}</span>
      </div>
    </div>
  );
}
