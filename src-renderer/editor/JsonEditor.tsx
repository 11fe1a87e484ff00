import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { loadMonaco, setJsonSchemas, type JsonDocumentKind } from './monaco-loader.js';
import { mockJsonSchema } from './mock-schema.js';
import { sessionConfigJsonSchema } from './session-config-schema.js';

interface JsonEditorProps {
  value: string;
  onChange: (value: string) => void;
  /** Monaco markers (schema problems), for the dialog to show and block on. */
  onProblems?: (problems: string[]) => void;
  testId?: string;
  /** Which document it is, and so which schema checks it. */
  kind?: JsonDocumentKind;
}

let schemasSet: Promise<void> | null = null;

/** Editable JSON with schema completion and validation: the full session configuration, or a mock. */
export function JsonEditor({ value, onChange, onProblems, testId, kind = 'session-config' }: JsonEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState(false);
  const onChangeRef = useRef(onChange);
  const onProblemsRef = useRef(onProblems);
  // Kept current after each commit (not during render) for Monaco's listeners, which outlive any one render.
  useLayoutEffect(() => {
    onChangeRef.current = onChange;
    onProblemsRef.current = onProblems;
  });
  const initial = useRef(value);

  useEffect(() => {
    let disposed = false;
    let cleanup: (() => void) | undefined;
    void (async () => {
      const monaco = await loadMonaco();
      schemasSet ??= setJsonSchemas({ 'session-config': sessionConfigJsonSchema(), mock: mockJsonSchema() });
      await schemasSet;
      if (disposed || !host.current) return;
      const uri = monaco.Uri.parse(`inmemory://traffic-recorder/editor/${kind}.json`);
      monaco.editor.getModel(uri)?.dispose();
      const model = monaco.editor.createModel(initial.current, 'json', uri);
      const editor = monaco.editor.create(host.current, {
        model,
        theme: 'recorder-dark',
        minimap: { enabled: false },
        automaticLayout: true,
        fontSize: 12,
        scrollBeyondLastLine: false,
        tabSize: 2,
        fixedOverflowWidgets: true,
      });
      const sub = model.onDidChangeContent(() => onChangeRef.current(model.getValue()));
      const markers = monaco.editor.onDidChangeMarkers((uris) => {
        if (!uris.some((u) => u.toString() === uri.toString())) return;
        const list = monaco.editor.getModelMarkers({ resource: uri });
        onProblemsRef.current?.(list.map((m) => `line ${m.startLineNumber}: ${m.message}`));
      });
      setReady(true);
      cleanup = () => {
        sub.dispose();
        markers.dispose();
        editor.dispose();
        model.dispose();
      };
    })();
    return () => {
      disposed = true;
      cleanup?.();
    };
  }, [kind]);

  return (
    <div className="json-editor" data-testid={testId} data-ready={ready}>
      <div ref={host} className="json-editor-host" />
      {!ready && <div className="editor-loading">Loading editor…</div>}
    </div>
  );
}
