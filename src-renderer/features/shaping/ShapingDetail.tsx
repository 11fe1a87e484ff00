import type { Entry } from '../../../src-shared/model.js';
import { HeadersTable } from '../detail/HeadersTable.js';
import { injectedWords } from './badge-words.js';

/** Shown at most this much of the body before the rules: the rest is in the entry. */
const BODY_SHOWN = 64 * 1024;

/** What the session's shaping did to one entry: the toxic, the rules and what they changed, the mock. */
export function ShapingDetail({ entry }: { entry: Entry }) {
  const { injected, modified, upstreamRequest } = entry;
  if (!injected && !modified) return null;
  const original = modified?.originalResponse;
  return (
    <div className="banner info shaping-detail" data-testid="detail-shaping">
      {injected && <div data-testid="detail-injected"><strong>Toxics:</strong> {injectedWords(injected)}.</div>}
      {modified && (
        <div data-testid="detail-modified">
          <strong>Modified by</strong> {modified.rules.join(', ') || 'no rule'}
          {modified.bodyTooLarge && <span className="muted"> (the body was over {modified.bodyTooLarge.limit} bytes and passed unchanged)</span>}
          {modified.bodyReplacementTimedOut && (
            <div className="warn" data-testid="detail-body-rules-timed-out">
              The body replacements ran past {modified.bodyReplacementTimedOut.budgetMs} ms
              {modified.bodyReplacementTimedOut.rule ? ` (in ${modified.bodyReplacementTimedOut.rule})` : ' (waiting for a worker)'}: the body passed unchanged.
            </div>
          )}
          {upstreamRequest && (
            <details>
              <summary>Sent upstream: {upstreamRequest.method} {upstreamRequest.url}</summary>
              <HeadersTable headers={upstreamRequest.headers} raw={upstreamRequest.rawHeaderValues} testId="upstream-request-headers" />
            </details>
          )}
          {original?.headers && (
            <details>
              <summary>Response headers before the rules</summary>
              <HeadersTable headers={original.headers} testId="original-response-headers" />
            </details>
          )}
          {original?.body !== undefined && (
            <details>
              <summary>Response body before the rules{original.contentEncoding ? ` (was ${original.contentEncoding})` : ''}{original.bodyTruncated ? ', cut' : ''}</summary>
              <pre className="mono small-text shaping-original-body">{original.body.slice(0, BODY_SHOWN)}</pre>
            </details>
          )}
        </div>
      )}
    </div>
  );
}
