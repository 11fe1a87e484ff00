/**
 * A running session's toxics and modification rules, loaded from the server, edited with the new-session
 * dialog's forms and saved with PUT (`/:id/toxics`, `/:id/modifications`): no restart, nothing closed.
 */
import { useEffect, useMemo, useState } from 'react';
import { useClient } from '../../api/client-context.js';
import { describeError, RecorderClientError } from '../../api/recorder-client.js';
import { useUiStore } from '../../stores/ui-store.js';
import { fieldMessage, type Problems } from './field-problems.js';
import { EMPTY_MODIFICATIONS, modificationsFromInput, modificationsProblems, modificationsToInput, type ModificationsForm } from './modifications-form.js';
import { EMPTY_TOXICS, toxicsFromInput, toxicsProblems, toxicsToInput, type ToxicsForm } from './toxics-form.js';

export type LiveTab = 'toxics' | 'rules';

interface Loaded {
  toxics: ToxicsForm;
  modifications: ModificationsForm;
}

interface Refusal {
  message: string;
  field?: string | undefined;
  /** The server said it (else: nothing was sent). */
  server: boolean;
}

/** Loading once per session: the forms as the server holds them (`{}` is none). */
function useLoadedRules(sessionId: string) {
  const client = useClient();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    Promise.all([client.getToxics({ id: sessionId }), client.getModifications({ id: sessionId })])
      .then(([t, m]) => {
        if (!live) return;
        const empty = (v: object) => Object.keys(v).length === 0;
        setLoaded({
          toxics: empty(t.toxics) ? EMPTY_TOXICS : toxicsFromInput(t.toxics),
          modifications: empty(m.modifications) ? EMPTY_MODIFICATIONS : modificationsFromInput(m.modifications),
        });
      })
      .catch((e: unknown) => live && setLoadError(describeError(e)));
    return () => {
      live = false;
    };
  }, [client, sessionId]);
  return { loaded, setLoaded, loadError };
}

export function useLiveRules(sessionId: string, sessionName: string, close: () => void) {
  const client = useClient();
  const { loaded, setLoaded, loadError } = useLoadedRules(sessionId);
  const [tab, setTab] = useState<LiveTab>('toxics');
  const [saving, setSaving] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const toxics = loaded?.toxics ?? EMPTY_TOXICS;
  const modifications = loaded?.modifications ?? EMPTY_MODIFICATIONS;
  const local = useMemo(() => ({ ...toxicsProblems(toxics), ...modificationsProblems(modifications) }), [toxics, modifications]);
  const problems: Problems = refusal?.field ? { ...local, [refusal.field]: fieldMessage(refusal) } : local;

  const edit = (patch: Partial<Loaded>) => setLoaded((current) => (current ? { ...current, ...patch } : current));

  /**
   * Both PUTs, the toxics first. Nothing is sent while a field has a problem: the server would refuse it with the
   * same words, and the toxics could be replaced before the rules were refused (half a change, live). The server's
   * own refusal (a session gone, a server that checks more) shows at the field it names.
   */
  const save = async () => {
    setRefusal(null);
    const first = Object.keys(local)[0];
    if (first) {
      setTab(first.startsWith('modifications') ? 'rules' : 'toxics');
      setRefusal({ message: 'Nothing was saved: fix the marked fields first.', server: false });
      return;
    }
    setSaving(true);
    try {
      await client.updateToxics({ id: sessionId, toxics: toxicsToInput(toxics) ?? {} });
      await client.updateModifications({ id: sessionId, modifications: modificationsToInput(modifications) ?? {} });
      useUiStore.getState().toast('info', `Rules of "${sessionName}" updated: the next request uses them`);
      close();
    } catch (e) {
      const field = e instanceof RecorderClientError ? e.field : undefined;
      setRefusal({ message: describeError(e), field, server: true });
      if (field) setTab(field.startsWith('modifications') ? 'rules' : 'toxics');
    } finally {
      setSaving(false);
    }
  };

  return { loaded, loadError, tab, setTab, toxics, modifications, edit, problems, refusal, saving, save };
}
