import { useState } from 'react';
import type { Entry } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { describeError } from '../../api/recorder-client.js';
import { useTrafficStore } from '../../stores/traffic-store.js';

export function AnnotationEditor({ entry, onSaved }: { entry: Entry; onSaved: (entry: Entry) => void }) {
  const client = useClient();
  const tagsInUse = useTrafficStore((s) => s.tagsInUse);
  const [tagDraft, setTagDraft] = useState('');
  const [notes, setNotes] = useState(entry.notes);
  const [status, setStatus] = useState<{ kind: 'idle' | 'saving' | 'saved' | 'error'; text?: string }>({ kind: 'idle' });

  // Reset while rendering another entry (React's "adjust state on a prop change"), not in an effect that would paint
  // the previous entry's notes first. Only the id counts: an echo of our own save must not overwrite typing.
  const [shownId, setShownId] = useState(entry.id);
  if (shownId !== entry.id) {
    setShownId(entry.id);
    setNotes(entry.notes);
    setStatus({ kind: 'idle' });
  }

  const save = async (patch: { tags?: string[]; notes?: string }) => {
    setStatus({ kind: 'saving' });
    try {
      const { entry: saved } = await client.patchEntry({ id: entry.sessionId, entryId: entry.id, ...patch });
      useTrafficStore.getState().applyMessages([{ type: 'entry-updated', entry: saved }]);
      onSaved(saved);
      setStatus({ kind: 'saved' });
    } catch (error) {
      setStatus({ kind: 'error', text: describeError(error) });
    }
  };

  const addTag = () => {
    const tag = tagDraft.trim().replace(/,$/, '').trim();
    setTagDraft('');
    if (!tag || entry.tags.includes(tag)) return;
    void save({ tags: [...entry.tags, tag] });
  };

  const suggestions = tagsInUse.filter((t) => !entry.tags.includes(t));
  return (
    <div className="annotation" data-testid="annotation">
      <div className="tags-line">
        {entry.tags.map((tag) => (
          <span className="chip" key={tag} data-testid="tag-chip">
            {tag}
            <button type="button" aria-label={`Remove tag ${tag}`} data-testid="tag-remove" onClick={() => void save({ tags: entry.tags.filter((t) => t !== tag) })}>×</button>
          </span>
        ))}
        <input
          className="tag-input"
          data-testid="tag-input"
          list="tags-in-use"
          placeholder="add tag…"
          value={tagDraft}
          onChange={(e) => {
            if (e.target.value.endsWith(',')) {
              setTagDraft(e.target.value.slice(0, -1));
              return;
            }
            setTagDraft(e.target.value);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' || e.key === ',') {
              e.preventDefault();
              addTag();
            }
          }}
        />
        <datalist id="tags-in-use">
          {suggestions.map((t) => <option key={t} value={t} />)}
        </datalist>
      </div>
      <textarea
        className="notes-input"
        data-testid="notes-input"
        placeholder="Notes…"
        rows={2}
        value={notes}
        onChange={(e) => setNotes(e.target.value)}
        onBlur={() => notes !== entry.notes && void save({ notes })}
      />
      <div className="annotation-footer">
        <button type="button" className="small" data-testid="notes-save" disabled={notes === entry.notes} onClick={() => void save({ notes })}>Save note</button>
        <span className={`annotation-status ${status.kind}`} data-testid="annotation-status" data-state={status.kind}>
          {status.kind === 'saving' ? 'Saving…' : status.kind === 'saved' ? 'Saved' : status.kind === 'error' ? `Not saved: ${status.text}` : ''}
        </span>
      </div>
    </div>
  );
}
