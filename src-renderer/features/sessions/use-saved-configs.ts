/** Saved session configurations in the new-session dialog: the list, saving the dialog's config, loading one. */
import { useEffect, useState } from 'react';
import type { SavedConfig } from '../../../src-shared/configs-contract.js';
import { useClient } from '../../api/client-context.js';
import { blobOf, describeError, RecorderClientError } from '../../api/recorder-client.js';
import { saveBlob } from '../../components/save-file.js';
import { useUiStore } from '../../stores/ui-store.js';
import type { NewSessionState } from './use-new-session.js';

export function useSavedConfigs(dialog: Pick<NewSessionState, 'currentInput' | 'loadConfig' | 'setError'>) {
  const client = useClient();
  const [configs, setConfigs] = useState<SavedConfig[]>([]);
  const [max, setMax] = useState(0);
  const [chosen, setChosen] = useState('');
  const [busy, setBusy] = useState(false);
  const { currentInput, loadConfig, setError } = dialog;

  const refresh = async () => {
    const list = await client.listConfigs();
    setConfigs(list.configs);
    setMax(list.max);
  };

  useEffect(() => {
    let live = true;
    client.listConfigs()
      .then((list) => {
        if (!live) return;
        setConfigs(list.configs);
        setMax(list.max);
      })
      // A failing list leaves the picker empty: the dialog works without it.
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [client]);

  /** Saved under the session's name: the server checks it exactly as it checks a start. */
  const save = async () => {
    const input = currentInput();
    if (typeof input === 'string') {
      setError({ message: input, local: true });
      return;
    }
    setBusy(true);
    try {
      const { config } = await client.saveConfig({ ...input, name: typeof input.name === 'string' ? input.name : '' });
      await refresh();
      setChosen(config.id);
      setError(null);
      useUiStore.getState().toast('info', `Configuration "${config.name}" saved`);
    } catch (e) {
      setError({ message: describeError(e), field: e instanceof RecorderClientError ? e.field : undefined });
    } finally {
      setBusy(false);
    }
  };

  const load = () => {
    const config = configs.find((c) => c.id === chosen);
    if (config) loadConfig({ ...config.config, name: config.name });
  };

  const remove = async () => {
    if (!chosen) return;
    setBusy(true);
    try {
      await client.deleteConfig({ configId: chosen });
      setChosen('');
      await refresh();
    } catch (e) {
      setError({ message: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  /** The chosen one as the server exports it: a file that import, POST /start and the CLI take unchanged. */
  const exportChosen = async () => {
    if (!chosen) return;
    try {
      const file = await client.exportConfig({ configId: chosen });
      saveBlob(file.fileName ?? `${chosen}.traffic-recorder.json`, blobOf(file));
    } catch (e) {
      setError({ message: describeError(e) });
    }
  };

  /** A file exported here (or any start config), checked by the server as a start; it is then chosen. */
  const importFile = async (file: File) => {
    setBusy(true);
    try {
      const text = await file.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        throw new Error(`${file.name} is not JSON: ${(e as Error).message}`);
      }
      const { config } = await client.importConfig(parsed as Record<string, unknown>);
      await refresh();
      setChosen(config.id);
      setError(null);
      useUiStore.getState().toast('info', `Configuration "${config.name}" imported from ${file.name}`);
    } catch (e) {
      setError({ message: describeError(e), field: e instanceof RecorderClientError ? e.field : undefined });
    } finally {
      setBusy(false);
    }
  };

  return { configs, max, chosen, setChosen, busy, save, load, remove, exportChosen, importFile };
}
