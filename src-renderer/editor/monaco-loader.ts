/**
 * Monaco is big: it loads on demand (after first paint) as its own chunk. Workers are created from
 * bundled files on our own origin, which the server's CSP (worker-src 'self' blob:) allows; Vite 8 does
 * not bundle Monaco's own worker lookup, so every label gets a worker from here.
 */
import type * as MonacoApi from 'monaco-editor/editor/editor.api';

export type Monaco = typeof MonacoApi;

let loading: Promise<Monaco> | null = null;

export function loadMonaco(): Promise<Monaco> {
  loading ??= (async () => {
    const [api, { default: EditorWorker }, { default: JsonWorker }, json] = await Promise.all([
      import('monaco-editor/editor/editor.api'),
      import('monaco-editor/editor/editor.worker?worker'),
      import('monaco-editor/language/json/json.worker?worker'),
      import('monaco-editor/languages/features/json/register'),
      import('monaco-editor/features/register.all'),
      import('monaco-editor/languages/definitions/xml/register'),
      import('monaco-editor/languages/definitions/html/register'),
      import('monaco-editor/languages/definitions/javascript/register'),
      import('monaco-editor/languages/definitions/css/register'),
    ]).then(([a, b, c, d]) => [a, b, c, d] as const);
    self.MonacoEnvironment = {
      getWorker: (_workerId: string, label: string) => (label === 'json' ? new JsonWorker() : new EditorWorker()),
    };
    void json;
    api.editor.defineTheme('recorder-dark', {
      base: 'vs-dark',
      inherit: true,
      rules: [],
      colors: { 'editor.background': '#161b22', 'editorGutter.background': '#161b22' },
    });
    return api;
  })();
  return loading;
}

/** The JSON documents the editors know: each model's URI ends with its file name, which picks its schema. */
export type JsonDocumentKind = 'session-config' | 'mock';

/**
 * Every editor's schema at once: Monaco keeps one list for all JSON models, so setting one kind alone would drop
 * the other's (both dialogs may be open, the mocks view over the new-session dialog).
 */
export async function setJsonSchemas(schemas: Record<JsonDocumentKind, Record<string, unknown>>): Promise<void> {
  await loadMonaco();
  const { jsonDefaults } = await import('monaco-editor/languages/features/json/register');
  jsonDefaults.setDiagnosticsOptions({
    validate: true,
    allowComments: false,
    enableSchemaRequest: false,
    schemas: (Object.keys(schemas) as JsonDocumentKind[]).map((kind) => ({
      uri: `inmemory://traffic-recorder/${kind}.json`,
      fileMatch: [`${kind}.json`, `*.${kind}.json`],
      schema: schemas[kind],
    })),
  });
}
