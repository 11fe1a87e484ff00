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

/** The list as the server has it, for a namespace ('' = all) and a search; `reload` after a change. */
function useMockList(namespace: string, search: string) {
  const client = useClient();
  const [items, setItems] = useState<Mock[]>([]);
  const [total, setTotal] = useState(0);
  const [namespaces, setNamespaces] = useState<string[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);

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
    setLoadError(null);
  }, []);

  useEffect(() => {
    let live = true;
    fetchList().then((r) => live && apply(r)).catch((e: unknown) => live && setLoadError(describeError(e)));
    return () => {
      live = false;
    };
  }, [fetchList, apply]);

  const reload = async () => apply(await fetchList());
  return { items, total, namespaces, loadError, reload };
}

export function useMocks(focusId: string | null) {
  const client = useClient();
  const [namespace, setNamespace] = useState('');
  const [search, setSearch] = useState('');
  const { items, total, namespaces, loadError, reload } = useMockList(namespace, search);
  const [selected, setSelected] = useState<string | null>(focusId);
  /** The editor's text; `key` changes when another mock is opened, so the editor starts over with it. */
  const [draft, setDraft] = useState<{ key: string; text: string } | null>(null);
  const [refusal, setRefusal] = useState<MockRefusal | null>(null);
  const [busy, setBusy] = useState(false);

  const selectedMock = items.find((m) => m.id === selected);
  // The editor follows the selection once the list has the mock; a draft of the same mock is kept.
  const shown = draft ?? (selectedMock ? { key: selectedMock.id, text: mockText(selectedMock) } : null);

  const open = (mock: Mock | null) => {
    setSelected(mock?.id ?? null);
    setDraft(mock ? { key: mock.id, text: mockText(mock) } : { key: `new-${Date.now()}`, text: newMockText(namespace) });
    setRefusal(null);
  };
  const edit = (text: string) => setDraft((d) => ({ key: d?.key ?? shown?.key ?? 'new', text }));

  /** Saving and deleting: the list is read again after either, and a refusal names its field. */
  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    try {
      await action();
      await reload();
      setRefusal(null);
    } catch (e) {
      setRefusal({ message: describeError(e), field: e instanceof RecorderClientError ? e.field : undefined });
    } finally {
      setBusy(false);
    }
  };

  const save = () => act(async () => {
    if (!shown) return;
    const parsed = parseConfigJson(shown.text);
    if (typeof parsed === 'string') throw new Error(parsed.replace('configuration', 'mock'));
    const { mock, overwritten } = await client.saveMock(parsed);
    setSelected(mock.id);
    setDraft({ key: shown.key, text: mockText(mock) });
    useUiStore.getState().toast('info', `Mock ${mock.id} ${overwritten ? 'saved' : 'created'}`);
  });

  const remove = () => act(async () => {
    if (!selected) return;
    await client.deleteMock({ id: selected });
    setSelected(null);
    setDraft(null);
  });

  return { namespace, setNamespace, namespaces, search, setSearch, items, total, selected, shown, open, edit, save, remove, refusal: refusal ?? (loadError ? { message: loadError } : null), busy };
}
