/** The new-session dialog's state: the form, the JSON tab, validation, and starting the session. */
import { useMemo, useState } from 'react';
import { useClient } from '../../api/client-context.js';
import { describeError, RecorderClientError } from '../../api/recorder-client.js';
import { useSessionsStore } from '../../stores/sessions-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { EMPTY_FORM, formOverJson, inputToForm, parseConfigJson, validateMitmHosts, validatePort, validateTargetUrl } from './session-form.js';
import type { SessionForm } from './session-form.js';
import { usePortCheck } from './use-port-check.js';
import { fieldMessage, type Problems } from '../shaping/field-problems.js';
import { filtersProblems } from '../shaping/filters-form.js';
import { mapLocalProblems } from '../shaping/map-local-form.js';
import { modificationsProblems } from '../shaping/modifications-form.js';
import { toxicsProblems } from '../shaping/toxics-form.js';

/** The form's tabs, then the JSON one; the form tabs edit one SessionForm. */
export type FormTab = 'form' | 'scope' | 'toxics' | 'rules' | 'json';

/** Which form tab shows the fields under a path the server names. */
export function tabOfPath(path: string): FormTab {
  const top = path.split('.')[0];
  return top === 'filters' ? 'scope' : top === 'toxics' ? 'toxics' : top === 'modifications' ? 'rules' : 'form';
}

/** Every problem of the shaping tabs, with the same schemas and words as the server. */
function useShapingProblems(form: SessionForm): Problems {
  const { filters, toxics, modifications, mapLocal } = form;
  return useMemo(
    () => ({ ...mapLocalProblems(mapLocal), ...filtersProblems(filters), ...toxicsProblems(toxics), ...modificationsProblems(modifications) }),
    [filters, toxics, modifications, mapLocal],
  );
}

/** What went wrong: the server's refusal (naming a field, maybe) or a local problem (the JSON does not parse). */
export interface FormError {
  message: string;
  field?: string | undefined;
  local?: boolean;
}

/** Starting the session: the request, the refusal in words, the toast, closing on success. */
function useStartSession(close: () => void) {
  const client = useClient();
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<FormError | null>(null);
  const start = async (input: Record<string, unknown>) => {
    setSubmitting(true);
    try {
      const { session } = await client.startSession(input);
      const sessions = useSessionsStore.getState();
      sessions.upsert(session);
      sessions.select(session.id);
      useUiStore.getState().toast('info', `Recording "${session.name}" on ${session.proxyUrl}`);
      close();
    } catch (e) {
      setError({ message: describeError(e), field: e instanceof RecorderClientError ? e.field : undefined });
    } finally {
      setSubmitting(false);
    }
  };
  return { submitting, error, setError, start };
}

interface TabSwitchState {
  tab: FormTab;
  setTab: (tab: FormTab) => void;
  form: SessionForm;
  setForm: (form: SessionForm) => void;
  json: string;
  setJson: (json: string) => void;
  setError: (error: FormError | null) => void;
}

/** Between form tabs nothing changes hands; into the JSON tab the form is written over it, out of it read back. */
function useTabSwitch({ tab, setTab, form, setForm, json, setJson, setError }: TabSwitchState) {
  return (next: FormTab) => {
    if (next === tab) return;
    if (tab !== 'json' && next !== 'json') {
      setTab(next);
      return;
    }
    if (next === 'json') {
      setJson(JSON.stringify(formOverJson(form, json), null, 2));
    } else {
      const parsed = parseConfigJson(json);
      if (typeof parsed === 'string') {
        setError({ message: parsed, local: true });
        return;
      }
      setForm(inputToForm(parsed));
    }
    setError(null);
    setTab(next);
  };
}

export function useNewSession(close: () => void) {
  const [form, setForm] = useState<SessionForm>(EMPTY_FORM);
  const [tab, setTab] = useState<FormTab>('form');
  const [json, setJson] = useState('');
  const [jsonProblems, setJsonProblems] = useState<string[]>([]);
  const [touched, setTouched] = useState(false);
  const { submitting, error, setError, start } = useStartSession(close);
  const port = usePortCheck(tab === 'form' ? form.listenPort : '');
  const errors = { url: validateTargetUrl(form.targetUrl, form.mode), port: validatePort(form.listenPort), mitm: validateMitmHosts(form) };

  const local = useShapingProblems(form);
  // The server's refusal joins them at the field it names, until the next submit.
  const problems: Problems = error?.field && !error.local ? { ...local, [error.field]: fieldMessage(error) } : local;

  const switchTab = useTabSwitch({ tab, setTab, form, setForm, json, setJson, setError });

  const submit = async () => {
    setTouched(true);
    setError(null);
    if (tab === 'json') {
      const parsed = parseConfigJson(json);
      if (typeof parsed === 'string') setError({ message: parsed, local: true });
      else await start(parsed);
    } else if (errors.url || errors.port || errors.mitm) {
      setTab('form');
    } else if (Object.keys(local).length > 0) {
      // Not sent: the server would refuse it for the same reason; show the first problem's tab.
      setTab(tabOfPath(Object.keys(local)[0]!));
    } else {
      await start(formOverJson(form, json));
    }
  };

  /** The configuration as it would be started: the JSON tab's text, or the form over it (a problem in words). */
  const currentInput = (): Record<string, unknown> | string => (tab === 'json' ? parseConfigJson(json) : formOverJson(form, json));

  /** A saved configuration into the dialog: the form and the JSON tab both hold it. */
  const loadConfig = (input: Record<string, unknown>) => {
    setForm(inputToForm(input));
    setJson(JSON.stringify(input, null, 2));
    setError(null);
    if (tab === 'json') setJsonProblems([]);
  };

  const update = (patch: Partial<SessionForm>) => setForm((f) => ({ ...f, ...patch }));
  /** The server's message when it named this field (or a key inside it: `mitm.includeHosts`). */
  const fieldError = (field: string) => (error?.field?.split('.')[0] === field ? error.message : null);
  return {
    form, update, tab, switchTab, json, setJson, jsonProblems, setJsonProblems, touched, submitting, error, setError, submit, errors, fieldError, port, problems,
    currentInput, loadConfig,
  };
}

export type NewSessionState = ReturnType<typeof useNewSession>;
