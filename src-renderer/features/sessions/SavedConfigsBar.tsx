import { useRef } from 'react';
import { useSavedConfigs } from './use-saved-configs.js';
import type { NewSessionState } from './use-new-session.js';

/** Start from a saved configuration (it fills the dialog), or save the dialog's configuration under its name. */
export function SavedConfigsBar({ state }: { state: NewSessionState }) {
  const saved = useSavedConfigs(state);
  const picker = useRef<HTMLInputElement>(null);
  const full = saved.max > 0 && saved.configs.length >= saved.max;
  return (
    <div className="saved-configs" data-testid="saved-configs">
      <select aria-label="Saved configuration" data-testid="saved-configs-select" value={saved.chosen} onChange={(e) => saved.setChosen(e.target.value)}>
        <option value="">{saved.configs.length ? 'Saved configurations…' : 'No saved configuration'}</option>
        {saved.configs.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
      </select>
      <button type="button" className="small" data-testid="saved-configs-load" disabled={!saved.chosen} onClick={saved.load}>Load</button>
      <button type="button" className="small danger-text" data-testid="saved-configs-delete" disabled={!saved.chosen || saved.busy} onClick={() => void saved.remove()}>Delete</button>
      <button type="button" className="small" data-testid="saved-configs-export" disabled={!saved.chosen} onClick={() => void saved.exportChosen()}>Export</button>
      <button type="button" className="small" data-testid="saved-configs-import" disabled={saved.busy || full} onClick={() => picker.current?.click()}>Import…</button>
      <input ref={picker} type="file" accept=".json,application/json" hidden data-testid="saved-configs-file"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) void saved.importFile(file);
        }} />
      <span className="saved-configs-gap" />
      <button type="button" className="small" data-testid="saved-configs-save" disabled={saved.busy || full}
        title={full ? `At most ${saved.max} configurations are kept: delete one first` : 'Save this configuration under the session name'} onClick={() => void saved.save()}>
        Save configuration
      </button>
      {saved.max > 0 && <span className="muted small-text" data-testid="saved-configs-count">{saved.configs.length}/{saved.max}</span>}
    </div>
  );
}
