/**
 * Restarting a stopped session on its old port: who holds that port, in words a person recognises
 * (a session by its name, never its id), and what the sidebar tells them before the session moves.
 */
import type { PortCheck, Session } from '../../../src-shared/model.js';
import type { Loaded } from '../../components/load-state.js';

/** `session "Checkout"` when one of ours holds the port, else the server's reason ("in use by another program"). */
export function portHolderWords(port: number, sessions: readonly Session[], check: PortCheck, self?: string): string {
  const owner = sessions.find((s) => s.id !== self && s.status === 'running' && s.listenPort === port);
  if (owner) return `session "${owner.name}"`;
  const reason = withoutSessionIds(check.reason ?? 'another program');
  // The server's wording names its session with the id in brackets: a name is what people know.
  return reason.replace(/^(used|in use) by /, '');
}

/** The server's port-check wording names a session with its id in brackets: people know it by its name. */
export function withoutSessionIds(reason: string): string {
  return reason.replace(/ \([0-9a-f]{8}-[0-9a-f-]{27}\)/gi, '');
}

export interface PortConflict {
  session: Session;
  holder: string;
}

export function portConflictMessage({ session, holder }: PortConflict): string {
  const port = session.listenPort;
  return `Port ${port} is taken by ${holder}. "${session.name}" can start on another free port instead; ` +
    `clients still aimed at :${port} will then not reach "${session.name}".`;
}

/** The toast after a restart: a move to another port is said out loud. */
export function restartedMessage(before: Session, after: Session): string {
  if (after.listenPort === before.listenPort) return `Started "${after.name}" on ${after.proxyUrl}`;
  return `Started "${after.name}" on port ${after.listenPort} (port ${before.listenPort} was taken): ${after.proxyUrl}`;
}

/** The new-session dialog's word on the port typed so far. */
export type PortState =
  | { kind: 'idle' }
  | { kind: 'checking' }
  | { kind: 'free' }
  | { kind: 'taken'; reason: string }
  | { kind: 'unknown'; reason: string };

/** A port check as the dialog shows it; `describe` puts a failed check's error in words. */
export function portState(check: Loaded<PortCheck>, describe: (error: unknown) => string): PortState {
  switch (check.status) {
    case 'idle': return { kind: 'idle' };
    case 'loading': return { kind: 'checking' };
    case 'failed': return { kind: 'unknown', reason: describe(check.error) };
    case 'done': return check.value.available ? { kind: 'free' } : { kind: 'taken', reason: withoutSessionIds(check.value.reason ?? 'in use') };
    default: {
      const never: never = check;
      return never;
    }
  }
}
