/** The recorder contract over HTTP: what the CLI (and any Node script) uses to drive a running server. */
import { ApiError, isApiErrorBody, type ApiErrorCode } from '../../src-shared/errors.js';
import { API_PREFIX, type RecorderOperations } from '../../src-shared/contract.js';
import type { EntryPage, PortCheck, PortsStatus, Session, Entry, StorageReport } from '../../src-shared/model.js';
import type { PatchEntryInput, StartSessionInput } from '../../src-shared/schemas.js';

export class RestRecorderClient implements RecorderOperations {
  private readonly base: string;

  constructor(
    server: string,
    private readonly token: string | undefined,
  ) {
    this.base = server.replace(/\/+$/, '') + API_PREFIX;
  }

  /** Machine-level routes (CA, trust store, system proxy): loosely typed, printed as they come. */
  machine<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return this.call<T>(method, path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError('internal', `cannot reach ${this.base}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    const text = await response.text();
    if (response.ok && !(response.headers.get('content-type') ?? '').includes('json')) return text as T;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      if (isApiErrorBody(parsed)) throw new ApiError((parsed.code as ApiErrorCode) ?? 'internal', parsed.error, parsed.field);
      throw new ApiError('internal', `${method} ${path} failed: HTTP ${response.status} ${text.slice(0, 200)}`);
    }
    return parsed as T;
  }

  startSession(input: StartSessionInput) {
    return this.call<{ session: Session }>('POST', '/start', input);
  }
  listSessions() {
    return this.call<{ sessions: Session[]; total: number }>('GET', '/sessions');
  }
  getSession({ id }: { id: string }) {
    return this.call<{ session: Session }>('GET', `/${encodeURIComponent(id)}`);
  }
  stopSession({ id }: { id: string }) {
    return this.call<{ session: Session }>('POST', `/${encodeURIComponent(id)}/stop`);
  }
  restartSession({ id, keepPort }: { id: string; keepPort?: boolean }) {
    return this.call<{ session: Session }>('POST', `/${encodeURIComponent(id)}/restart`, keepPort ? { keepPort: true } : undefined);
  }
  deleteSession({ id }: { id: string }) {
    return this.call<{ deleted: true; id: string }>('DELETE', `/${encodeURIComponent(id)}`);
  }
  listEntries({ id, offset, limit, bodies }: { id: string; offset?: number; limit?: number; bodies?: boolean }) {
    const q = new URLSearchParams();
    if (offset !== undefined) q.set('offset', String(offset));
    if (limit !== undefined) q.set('limit', String(limit));
    if (bodies !== undefined) q.set('bodies', String(bodies));
    return this.call<EntryPage>('GET', `/${encodeURIComponent(id)}/entries?${q}`);
  }
  getEntry({ id, entryId }: { id: string; entryId: string }) {
    return this.call<{ entry: Entry }>('GET', `/${encodeURIComponent(id)}/entries/${encodeURIComponent(entryId)}`);
  }
  patchEntry({ id, entryId, ...patch }: { id: string; entryId: string } & PatchEntryInput) {
    return this.call<{ entry: Entry }>('PATCH', `/${encodeURIComponent(id)}/entries/${encodeURIComponent(entryId)}`, patch);
  }
  storage() {
    return this.call<{ storage: StorageReport }>('GET', '/storage');
  }

  ports() {
    return this.call<PortsStatus>('GET', '/ports');
  }
  portCheck({ port }: { port: number }) {
    return this.call<PortCheck>('GET', `/port-check?port=${port}`);
  }
}
