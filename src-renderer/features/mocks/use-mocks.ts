/** The mocks view's state: the list (by namespace and search), the mock being edited, saving and deleting. */
import { useCallback, useEffect, useState } from 'react';
import type { Mock } from '../../../src-shared/mocks.js';
import { useClient } from '../../api/client-context.js';
import { describeError, RecorderClientError } from '../../api/recorder-client.js';
import { useUiStore } from '../../stores/ui-store.js';
import { parseConfigJson } from '../sessions/session-form.js';

export interface MockRefusal {
  message: string;
  field?: string | undefined;
}

/** What a new mock starts as: an http route with a JSON answer, in the namespace the list shows. */
export function newMockText(namespace: string): string {
  return JSON.stringify({
    namespace: namespace || 'default',
    http: { route: '/api/example/:id', httpMethod: 'GET' },
    response: { statusCode: 200, headers: { 'Content-Type': ['application/json'] }, payload: { id: 1 } },
  }, null, 2);
}

/** The mock as the editor shows it: the stored fields, without the ones the store keeps for itself. */
export function mockText(mock: Mock): string {
  return JSON.stringify(mock, null, 2);
}

export function useMocks(focusId: string | null) {
  const client = useClient();
  const [namespace, setNamespace] = useState('');
  const [namespaces, setNamespaces] = useState<string[]>([]);
  const [search, setSearch] = useState('');
  const [items, setItems] = useState<Mock[]>([]);
  const [total, setTotal] = useState(0);
  const [selected, setSelected] = useState<string | null>(focusId);
  /** The editor's text; `key` changes when another mock is opened, so the editor starts over with it. */
  const [draft, setDraft] = useState<{ key: string; text: string } | null>(null);
  const [refusal, setRefusal] = useState<MockRefusal | null>(null);
  const [busy, setBusy] = useState(false);

  const fetchList = useCallback(async () => {
    const [list, spaces] = await Promise.all([
      client.listMocks({ limit: 1000, ...(namespace ? { namespace } : {}), ...(search ? { search } : {}) }),
      client.listNamespaces({}),
    ]);
    return { list, spaces: spaces.namespaces };
  }, [client, namespace, search]);

  const apply = useCallback((result: Awaited<ReturnType<typeof fetchList>>) => {
    setItems(result.list.items);
    setTotal(result.list.total);
    setNamespaces(result.spaces);
  }, []);

  useEffect(() => {
    let live = true;
    fetchList().then((r) => live && apply(r)).catch((e: unknown) => live && setRefusal({ message: describeError(e) }));
    return () => {
      live = false;
    };
  }, [fetchList, apply]);

  const selectedMock = items.find((m) => m.id === selected);
  // The editor follows the selection once the list has the mock; a draft of the same mock is kept.
  const shown = draft ?? (selectedMock ? { key: selectedMock.id, text: mockText(selectedMock) } : null);

  const open = (mock: Mock) => {
    setSelected(mock.id);
    setDraft({ key: mock.id, text: mockText(mock) });
    setRefusal(null);
  };
  const startNew = () => {
    setSelected(null);
    setDraft({ key: `new-${Date.now()}`, text: newMockText(namespace) });
    setRefusal(null);
  };
  const edit = (text: string) => setDraft((d) => ({ key: d?.key ?? shown?.key ?? 'new', text }));

  const save = async () => {
    if (!shown) return;
    const parsed = parseConfigJson(shown.text);
    if (typeof parsed === 'string') return setRefusal({ message: parsed.replace('configuration', 'mock') });
    setBusy(true);
    try {
      const { mock, overwritten } = await client.saveMock(parsed);
      apply(await fetchList());
      setSelected(mock.id);
      setDraft({ key: shown.key, text: mockText(mock) });
      setRefusal(null);
      useUiStore.getState().toast('info', `Mock ${mock.id} ${overwritten ? 'saved' : 'created'}`);
    } catch (e) {
      setRefusal({ message: describeError(e), field: e instanceof RecorderClientError ? e.field : undefined });
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!selected) return;
    setBusy(true);
    try {
      await client.deleteMock({ id: selected });
      setSelected(null);
      setDraft(null);
      apply(await fetchList());
    } catch (e) {
      setRefusal({ message: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  return { namespace, setNamespace, namespaces, search, setSearch, items, total, selected, shown, open, startNew, edit, save, remove, refusal, busy };
}
