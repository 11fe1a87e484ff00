import { useMemo, useState } from 'react';
import type { BodyInfo } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { blobOf, describeError } from '../../api/recorder-client.js';
import { FormattedText } from './FormattedText.js';
import { base64ToBytes, formatBytes, hexDump } from './hex-dump.js';
import { useRawBytes } from './use-raw-bytes.js';

interface BodyViewProps {
  sessionId: string;
  entryId: string;
  which: 'request' | 'response';
  body: BodyInfo;
}

export function BodyView({ sessionId, entryId, which, body }: BodyViewProps) {
  const client = useClient();
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const [showRaw, setShowRaw] = useState(false);
  const raw = useRawBytes(sessionId, entryId, which, showRaw);

  const download = async (decoded: boolean) => {
    try {
      const blob = blobOf(await client.readEntryBody({ id: sessionId, entryId, which, decoded }));
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${entryId}-${which}${decoded ? '' : '.raw'}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      setDownloadError(describeError(error));
    }
  };

  if (body.size === 0 && !body.text && !body.base64) {
    return <div className="body-empty" data-testid={`body-empty-${which}`}>No {which} body.</div>;
  }

  return (
    <div className="body-view" data-testid={`body-${which}`}>
      <div className="body-meta">
        <span>{body.contentType ?? 'no content type'}</span>
        {body.charset && body.text !== undefined && <span className="muted" data-testid={`body-charset-${which}`} title="The encoding the text was decoded from">decoded as {body.charset}</span>}
        <span>{formatBytes(body.size)}{body.contentEncoding ? ` (${body.contentEncoding})` : ''}</span>
        <button type="button" className="small" aria-pressed={showRaw} data-testid={`body-raw-toggle-${which}`} onClick={() => setShowRaw(!showRaw)} title="Show the bytes as they crossed the wire (still content-encoded)">
          {showRaw ? 'Decoded' : 'Raw'}
        </button>
        <button type="button" className="small" onClick={() => void download(true)}>Download</button>
        <button type="button" className="small" onClick={() => void download(false)}>Download raw</button>
      </div>
      {body.truncated && (
        <div className="banner warn" data-testid={`body-truncated-${which}`}>
          Truncated at {formatBytes(body.capturedSize)} of {formatBytes(body.size)}: only the first part was captured.
        </div>
      )}
      {body.decodeError && <div className="banner warn" data-testid={`body-decode-error-${which}`}>Could not decode the body: {body.decodeError}</div>}
      {downloadError && <div className="banner error">{downloadError}</div>}
      {showRaw ? (
        raw.error ? <div className="banner error">Could not load the raw bytes: {raw.error}</div>
          : <pre className="hex-view" data-testid={`body-raw-${which}`}>{raw.dump ?? 'Loading…'}</pre>
      ) : <DecodedBody body={body} which={which} />}
    </div>
  );
}

/** The body as recorded, decoded: text in Monaco, an image shown, other bytes as a hex dump. */
function DecodedBody({ body, which }: Pick<BodyViewProps, 'body' | 'which'>) {
  const isImage = (body.contentType ?? '').toLowerCase().startsWith('image/');
  const hex = useMemo(() => (body.base64 !== undefined && !isImage ? hexDump(base64ToBytes(body.base64)) : ''), [body.base64, isImage]);
  if (body.text !== undefined) return <FormattedText text={body.text} contentType={body.contentType} which={which} />;
  if (body.base64 !== undefined && isImage) {
    return (
      <div className="image-preview">
        <img src={`data:${body.contentType};base64,${body.base64}`} alt={`${which} body`} data-testid={`body-image-${which}`} />
      </div>
    );
  }
  if (body.base64 !== undefined) return <pre className="hex-view" data-testid={`body-hex-${which}`}>{hex}</pre>;
  return <div className="body-empty">The body was not loaded.</div>;
}
