import { useEffect, useRef, useState } from 'react';
import { loadMonaco } from './monaco-loader.js';
import type { Monaco } from './monaco-loader.js';

type Editor = ReturnType<Monaco['editor']['create']>;

/**
 * A read-only Monaco for bodies. Until Monaco has loaded (it is fetched after first paint) a plain <pre>
 * shows the start of the text, so the body is readable at once.
 *
 * Every call into the editor happens synchronously inside an effect, never in a promise callback: React's scheduler
 * can run an effect and, in the same task, the commit that unmounts this view, so a callback queued by the effect
 * would reach an editor already disposed (Monaco then throws "InstantiationService has been disposed").
 */
export function MonacoView({ text, language, testId }: { text: string; language: string; testId?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<{ monaco: Monaco; editor: Editor } | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let disposed = false;
    // Let the pane paint first; Monaco's chunk and layout then happen in idle time.
    const start = setTimeout(async () => {
      const monaco = await loadMonaco();
      if (disposed || !host.current) return;
      editor.current = {
        monaco,
        editor: monaco.editor.create(host.current, {
          value: '',
          language: 'plaintext',
          readOnly: true,
          domReadOnly: true,
          theme: 'recorder-dark',
          minimap: { enabled: false },
          automaticLayout: true,
          fontSize: 12,
          scrollBeyondLastLine: false,
          wordWrap: 'on',
          renderLineHighlight: 'none',
          folding: true,
          lineNumbersMinChars: 3,
        }),
      };
      setReady(true);
    }, 30);
    return () => {
      disposed = true;
      clearTimeout(start);
      const current = editor.current;
      editor.current = null;
      if (!current) return;
      const model = current.editor.getModel();
      current.editor.dispose();
      model?.dispose();
    };
  }, []);

  useEffect(() => {
    const current = editor.current;
    if (!ready || !current) return;
    const old = current.editor.getModel();
    current.editor.setModel(current.monaco.editor.createModel(text, language));
    old?.dispose();
  }, [ready, text, language]);

  return (
    <div className="monaco-view" data-testid={testId} data-ready={ready}>
      <div ref={host} className="monaco-host" />
      {!ready && <pre className="body-pre">{text.length > 20_000 ? `${text.slice(0, 20_000)}\n…` : text}</pre>}
    </div>
  );
}
