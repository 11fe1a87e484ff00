/**
 * Session ids on the command line: a full id, or a unique prefix of one, as git resolves abbreviated commits.
 * People copy the first few characters from a table; a prefix that could mean two sessions must never pick one.
 */
import { ApiError } from '../../src-shared/errors.js';
import type { Session } from '../../src-shared/model.js';

/** Candidates named in an ambiguity error; more would only scroll the one useful line away. */
const MAX_CANDIDATES_SHOWN = 5;

export interface SessionLister {
  listSessions(): Promise<{ sessions: Pick<Session, 'id' | 'name'>[] }>;
}

/** The one session id that `ref` names (exactly or as a prefix), or an ApiError saying why there is none. */
export function pickSessionId(sessions: readonly Pick<Session, 'id' | 'name'>[], ref: string): string {
  const wanted = ref.trim().toLowerCase();
  if (!wanted) throw new ApiError('bad_request', 'session id: empty; give an id or the first characters of one (see `recorder list`)', 'id');
  const exact = sessions.find((s) => s.id.toLowerCase() === wanted);
  if (exact) return exact.id;
  const matches = sessions.filter((s) => s.id.toLowerCase().startsWith(wanted));
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new ApiError('not_found', `session ${ref} not found: no session id starts with "${ref}" (see \`recorder list\`)`, 'id');
  const shown = matches.slice(0, MAX_CANDIDATES_SHOWN).map((s) => `${s.id} ("${s.name}")`);
  const more = matches.length > shown.length ? ` and ${matches.length - shown.length} more` : '';
  throw new ApiError('bad_request', `session id prefix "${ref}" is ambiguous: it matches ${shown.join(', ')}${more}; give more characters`, 'id');
}

/** Resolves `ref` against the server's sessions. */
export async function resolveSessionId(api: SessionLister, ref: string): Promise<string> {
  const { sessions } = await api.listSessions();
  return pickSessionId(sessions, ref);
}
