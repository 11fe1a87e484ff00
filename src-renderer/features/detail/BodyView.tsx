import { useEffect, useMemo, useState } from 'react';
import type { BodyInfo } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { describeError } from '../../api/recorder-client.js';
import { MonacoView } from '../../editor/MonacoView.js';
import { formatBody } from '../../workers/format-client.js';
import { languageOf } from '../../workers/pretty-print.js';
import { base64ToBytes, formatBytes, hexDump } from './hex-dump.js';

interface BodyViewProps {
  sessionId: string;
  entryId: string;
  which: 'request' | 'response';
  body: BodyInfo;
}

function FormattedText({ text, contentType, which }: { text: string; contentType: string | undefined; which: string }) {
  const language = useMemo(() => languageOf(contentType, text), [contentType, text]);
  const [formatted, setFormatted] = useState<string | null>(null);
  const [pretty, setPretty] = useState(true);
  useEffect(() => {
    let stale = false;
    setFormatted(null);
    void formatBody(text, language).then((out) => {
      if (!stale) setFormatted(out);
    });
    return () => {
      stale = true;
    };
  }, [text, language]);
  const canPretty = language === 'json' || language === 'xml' || language === 'html';
  return (
    <>
      {canPretty && (
        <div className="body-toolbar">
          <span className="muted">{language.toUpperCase()}</span>
          <label className="checkbox">
            <input type="checkbox" checked={pretty} onChange={(e) => setPretty(e.target.checked)} data-testid={`body-pretty-${which}`} /> pretty-print
          </label>
        </div>
      )}
      <MonacoView text={pretty ? (formatted ?? text) : text} language={language} testId={`body-text-${which}`} />
    </>
  );
}

/** The body's bytes exactly as they crossed the wire (still content-encoded), as a hex dump in place. */
function useRawBytes(sessionId: string, entryId: string, which: 'request' | 'response', shown: boolean) {
  const client = useClient();
  const [raw, setRaw] = useState<{ dump: string | null; error: string | null }>({ dump: null, error: null });
  useEffect(() => {
    if (!shown) return;
    let stale = false;
    setRaw({ dump: null, error: null });
    client.getEntryBody({ id: sessionId, entryId, which, decoded: false })
      .then(async (blob) => new Uint8Array(await blob.arrayBuffer()))
      .then((bytes) => !stale && setRaw({ dump: hexDump(bytes), error: null }))
      .catch((error: unknown) => !stale && setRaw({ dump: null, error: describeError(error) }));
    return () => {
      stale = true;
    };
  }, [client, sessionId, entryId, which, shown]);
  return raw;
}

export function BodyView({ sessionId, entryId, which, body }: BodyViewProps) {
  const client = useClient();
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const [showRaw, setShowRaw] = useState(false);
  const raw = useRawBytes(sessionId, entryId, which, showRaw);
  const isImage = (body.contentType ?? '').toLowerCase().startsWith('image/');
  const hex = useMemo(() => (body.base64 !== undefined && !isImage ? hexDump(base64ToBytes(body.base64)) : ''), [body.base64, isImage]);

  const download = async (decoded: boolean) => {
    try {
      const blob = await client.getEntryBody({ id: sessionId, entryId, which, decoded });
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

  let content;
  if (body.text !== undefined) {
    content = <FormattedText text={body.text} contentType={body.contentType} which={which} />;
  } else if (body.base64 !== undefined && isImage) {
    content = (
      <div className="image-preview">
        <img src={`data:${body.contentType};base64,${body.base64}`} alt={`${which} body`} data-testid={`body-image-${which}`} />
      </div>
    );
  } else if (body.base64 !== undefined) {
    content = <pre className="hex-view" data-testid={`body-hex-${which}`}>{hex}</pre>;
  } else {
    content = <div className="body-empty">The body was not loaded.</div>;
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
      ) : content}
    </div>
  );
}
