import { lazy, Suspense } from 'react';

// Monaco only loads when someone opens the full configuration.
const JsonEditor = lazy(() => import('../../editor/JsonEditor.js').then((m) => ({ default: m.JsonEditor })));

interface JsonConfigTabProps {
  json: string;
  setJson: (json: string) => void;
  problems: string[];
  setProblems: (problems: string[]) => void;
}

/** The new-session dialog's second tab: every option as JSON, completed and checked against the server's schema. */
export function JsonConfigTab({ json, setJson, problems, setProblems }: JsonConfigTabProps) {
  return (
    <div className="json-config">
      <p className="field-hint">Every option this server accepts (filters, toxics, modifications, mapLocal, mitm, listenHost…); Ctrl+Space completes keys from its schema.</p>
      <Suspense fallback={<div className="editor-loading">Loading editor…</div>}>
        <JsonEditor value={json} onChange={setJson} onProblems={setProblems} testId="new-session-json" />
      </Suspense>
      {problems.length > 0 && (
        <ul className="json-problems" data-testid="new-session-json-problems">
          {problems.slice(0, 5).map((p) => <li key={p}>{p}</li>)}
        </ul>
      )}
    </div>
  );
}
