/**
 * The one API contract. REST routes, the Electron preload/IPC binding, the renderer's RecorderClient and
 * the CLI are all typed from `RecorderOperations`; the route table below is the single source of paths.
 */
import type { Entry, EntryPage, PortCheck, PortsStatus, Session, StorageReport } from './model.js';
import type { PatchEntryInput, RestartSessionInput, StartSessionInput } from './schemas.js';

export const API_PREFIX = '/api/v1/recorder';

export interface RecorderOperations {
  startSession(input: StartSessionInput): Promise<{ session: Session }>;
  listSessions(): Promise<{ sessions: Session[]; total: number }>;
  getSession(params: { id: string }): Promise<{ session: Session }>;
  stopSession(params: { id: string }): Promise<{ session: Session }>;
  restartSession(params: { id: string } & RestartSessionInput): Promise<{ session: Session }>;
  deleteSession(params: { id: string }): Promise<{ deleted: true; id: string }>;
  listEntries(params: { id: string; offset?: number; limit?: number; bodies?: boolean }): Promise<EntryPage>;
  getEntry(params: { id: string; entryId: string }): Promise<{ entry: Entry }>;
  patchEntry(params: { id: string; entryId: string } & PatchEntryInput): Promise<{ entry: Entry }>;
  ports(): Promise<PortsStatus>;
  portCheck(params: { port: number }): Promise<PortCheck>;
  /** The store's state and its usage against the budgets. */
  storage(): Promise<{ storage: StorageReport }>;
}

export type OperationName = keyof RecorderOperations;

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path under API_PREFIX, fastify-style parameters. */
  path: string;
}

/** Static routes are listed before `/:id` so that `/sessions` and `/ports` never read as a session id. */
export const ROUTES: Record<OperationName, RouteSpec> = {
  startSession: { method: 'POST', path: '/start' },
  listSessions: { method: 'GET', path: '/sessions' },
  ports: { method: 'GET', path: '/ports' },
  portCheck: { method: 'GET', path: '/port-check' },
  storage: { method: 'GET', path: '/storage' },
  getSession: { method: 'GET', path: '/:id' },
  stopSession: { method: 'POST', path: '/:id/stop' },
  restartSession: { method: 'POST', path: '/:id/restart' },
  deleteSession: { method: 'DELETE', path: '/:id' },
  listEntries: { method: 'GET', path: '/:id/entries' },
  getEntry: { method: 'GET', path: '/:id/entries/:entryId' },
  patchEntry: { method: 'PATCH', path: '/:id/entries/:entryId' },
};

/** Raw body bytes of an entry (not JSON): `which` is request|response, `?decoded=1` for the decoded form. */
export const ENTRY_BODY_PATH = '/:id/entries/:entryId/body/:which';
export const STREAM_PATH = '/:id/ws';

/** OS-level operations (certificate authority, trust store, system proxy): they change the machine, not sessions. */
export const MACHINE_ROUTES = {
  caStatus: { method: 'GET', path: '/ca/status' },
  caGenerate: { method: 'POST', path: '/ca/generate' },
  caDownload: { method: 'GET', path: '/ca/download' },
  trustStatus: { method: 'GET', path: '/ca/trust' },
  trustInstall: { method: 'POST', path: '/ca/trust/install' },
  trustUninstall: { method: 'POST', path: '/ca/trust/uninstall' },
  systemProxyStatus: { method: 'GET', path: '/system-proxy' },
  systemProxyOn: { method: 'POST', path: '/system-proxy/on' },
  systemProxyOff: { method: 'POST', path: '/system-proxy/off' },
  sessionSetup: { method: 'GET', path: '/:id/setup' },
  openBrowser: { method: 'POST', path: '/:id/open-browser' },
} as const satisfies Record<string, RouteSpec>;
