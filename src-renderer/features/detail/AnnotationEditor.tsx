import { useState } from 'react';
import type { Entry } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { describeError } from '../../api/recorder-client.js';
import { useTrafficStore } from '../../stores/traffic-store.js';

type Patch = { tags?: string[]; notes?: string };
type SaveStatus = { kind: 'idle' | 'saving' | 'saved' | 'error'; text?: string };

/** The notes draft and the save status of one entry; a save updates the table row and the pane. */
function useAnnotation(entry: Entry, onSaved: (entry: Entry) => void) {
  const client = useClient();
  const [notes, setNotes] = useState(entry.notes);
  const [status, setStatus] = useState<SaveStatus>({ kind: 'idle' });

  // Reset while rendering another entry (React's "adjust state on a prop change"), not in an effect that would paint
  // the previous entry's notes first. Only the id counts: an echo of our own save must not overwrite typing.
  const [shownId, setShownId] = useState(entry.id);
  if (shownId !== entry.id) {
    setShownId(entry.id);
    setNotes(entry.notes);
    setStatus({ kind: 'idle' });
  }

  const save = async (patch: Patch) => {
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
  return { notes, setNotes, status, save };
}

export function AnnotationEditor({ entry, onSaved }: { entry: Entry; onSaved: (entry: Entry) => void }) {
  const { notes, setNotes, status, save } = useAnnotation(entry, onSaved);
  return (
    <div className="annotation" data-testid="annotation">
      <TagsLine tags={entry.tags} save={save} />
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

/** Tag chips (× removes one) and an input that adds a tag on Enter or a comma, suggesting the tags in use. */
function TagsLine({ tags, save }: { tags: string[]; save: (patch: Patch) => Promise<void> }) {
  const tagsInUse = useTrafficStore((s) => s.tagsInUse);
  const [tagDraft, setTagDraft] = useState('');
  const addTag = () => {
    const tag = tagDraft.trim().replace(/,$/, '').trim();
    setTagDraft('');
    if (!tag || tags.includes(tag)) return;
    void save({ tags: [...tags, tag] });
  };
  const suggestions = tagsInUse.filter((t) => !tags.includes(t));
  return (
    <div className="tags-line">
      {tags.map((tag) => (
        <span className="chip" key={tag} data-testid="tag-chip">
          {tag}
          <button type="button" aria-label={`Remove tag ${tag}`} data-testid="tag-remove" onClick={() => void save({ tags: tags.filter((t) => t !== tag) })}>×</button>
        </span>
      ))}
      <input
        className="tag-input"
        data-testid="tag-input"
        list="tags-in-use"
        placeholder="add tag…"
        value={tagDraft}
        onChange={(e) => setTagDraft(e.target.value.endsWith(',') ? e.target.value.slice(0, -1) : e.target.value)}
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
  );
}
