import { lazy, Suspense, useRef, useState } from 'react';
import type { Mock } from '../../../src-shared/mocks.js';
import { useDialog } from '../../components/use-dialog.js';
import { useMocksViewStore } from '../../stores/mocks-view-store.js';
import { useMocks } from './use-mocks.js';
import './mocks.css';

// Monaco only loads when the view opens.
const JsonEditor = lazy(() => import('../../editor/JsonEditor.js').then((m) => ({ default: m.JsonEditor })));

/** The local mock store: list by namespace and search, edit in Monaco against the store's schema, save, delete. */
export function MocksDialog() {
  const focusId = useMocksViewStore((s) => s.focusId);
  const close = () => useMocksViewStore.getState().close();
  const dialog = useRef<HTMLDivElement>(null);
  useDialog(dialog, close);
  const mocks = useMocks(focusId);
  const [problems, setProblems] = useState<string[]>([]);
  return (
    <div className="modal-backdrop" onMouseDown={close}>
      <div className="modal mocks-view" role="dialog" aria-modal="true" aria-label="Local mocks" data-testid="mocks-dialog" ref={dialog} onMouseDown={(e) => e.stopPropagation()}>
        <div className="mocks-header">
          <h2>Local mocks</h2>
          <span className="muted small-text">Sessions with map local answer matching requests from these (method and route, by priority).</span>
          <button type="button" className="icon-button" aria-label="Close" data-testid="mocks-close" onClick={close}>✕</button>
        </div>
        <div className="mocks-body">
          <MockList mocks={mocks} />
          <div className="mock-editor">
            {mocks.shown ? (
              <Suspense fallback={<div className="editor-loading">Loading editor…</div>}>
                <JsonEditor key={mocks.shown.key} kind="mock" value={mocks.shown.text} onChange={mocks.edit} onProblems={setProblems} testId="mock-json" />
              </Suspense>
            ) : (
              <div className="muted mock-none">Pick a mock, or make a new one.</div>
            )}
            {problems.length > 0 && <ul className="json-problems" data-testid="mock-json-problems">{problems.slice(0, 5).map((p) => <li key={p}>{p}</li>)}</ul>}
            {mocks.refusal && (
              <div className="form-error" role="alert" data-testid="mock-error" data-field={mocks.refusal.field}>{mocks.refusal.message}</div>
            )}
            <div className="modal-actions">
              <button type="button" className="danger-text" data-testid="mock-delete" disabled={!mocks.selected || mocks.busy} onClick={() => void mocks.remove()}>Delete</button>
              <button type="button" className="primary" data-testid="mock-save" disabled={!mocks.shown || mocks.busy} onClick={() => void mocks.save()}>Save mock</button>
            </div>
          </div>
        </div>
      </div>
    </div>
  );
}

function MockList({ mocks }: { mocks: ReturnType<typeof useMocks> }) {
  return (
    <div className="mock-list">
      <div className="mock-list-filters">
        <select aria-label="Namespace" data-testid="mocks-namespace" value={mocks.namespace} onChange={(e) => mocks.setNamespace(e.target.value)}>
          <option value="">All namespaces</option>
          {mocks.namespaces.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
        <input aria-label="Search mocks" placeholder="search" data-testid="mocks-search" value={mocks.search} onChange={(e) => mocks.setSearch(e.target.value)} />
      </div>
      <button type="button" className="small" data-testid="mocks-new" onClick={() => mocks.open(null)}>+ New mock</button>
      <ul className="mock-items" data-testid="mock-items" data-total={mocks.total}>
        {mocks.items.map((mock) => (
          <li key={mock.id}>
            <button type="button" className={`mock-item${mock.id === mocks.selected ? ' selected' : ''}`} data-testid="mock-item" data-mock-id={mock.id}
              aria-current={mock.id === mocks.selected} onClick={() => mocks.open(mock)}>
              <span className="mono">{summary(mock)}</span>
              <span className="muted small-text">{mock.namespace} · {mock.response?.statusCode ?? (mock.oneOf ? 'oneOf' : mock.proxy ? 'proxy' : '')} · {mock.id}</span>
            </button>
          </li>
        ))}
        {mocks.items.length === 0 && <li className="muted small-text mock-none">No mock{mocks.search || mocks.namespace ? ' matches' : ' yet'}.</li>}
      </ul>
    </div>
  );
}

function summary(mock: Mock): string {
  if (mock.http) return `${(mock.http.httpMethod ?? '*').toUpperCase()} ${mock.http.routePattern ?? mock.http.route}`;
  const block = Object.keys(mock).find((k) => ['grpc', 'soap', 'graphql', 'mcp', 'sse', 'socket', 'kafka', 'rabbitmq', 'smtp'].includes(k));
  return block ?? mock.id;
}
