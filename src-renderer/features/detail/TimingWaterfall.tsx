import type { Timings } from '../../../src-shared/model.js';
import { formatDuration } from '../entries/columns.js';
import { waterfallSegments } from './waterfall-segments.js';

export function TimingWaterfall({ timings }: { timings: Timings }) {
  return (
    <div className="waterfall" data-testid="timing-waterfall">
      {waterfallSegments(timings).map((segment) => {
        const { value } = segment;
        return (
          <div className="wf-row" key={segment.key} data-testid={`timing-${segment.key.replace('Ms', '')}`} title={segment.help}>
            <span className="wf-label">{segment.label}</span>
            <span className="wf-track">
              {value >= 0 && <span className={`wf-bar wf-${segment.key}`} style={{ left: `${segment.left}%`, width: `max(${segment.width}%, 2px)` }} />}
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
