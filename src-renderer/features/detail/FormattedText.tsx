import { useMemo, useState } from 'react';
import { useLoad } from '../../components/use-load.js';
import { MonacoView } from '../../editor/MonacoView.js';
import { formatBody } from '../../workers/format-client.js';
import { languageOf } from '../../workers/pretty-print.js';

/** A text body in Monaco, pretty-printed off the main thread (the worker) where its language allows. */
export function FormattedText({ text, contentType, which }: { text: string; contentType: string | undefined; which: string }) {
  const language = useMemo(() => languageOf(contentType, text), [contentType, text]);
  const format = useMemo(() => () => formatBody(text, language), [text, language]);
  const formatted = useLoad(format);
  const [pretty, setPretty] = useState(true);
  const canPretty = language === 'json' || language === 'xml' || language === 'html';
  // Until the worker answers (or if it fails), the text as it came.
  const shown = pretty && formatted.status === 'done' ? formatted.value : text;
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
      <MonacoView text={shown} language={language} testId={`body-text-${which}`} />
    </>
  );
}
