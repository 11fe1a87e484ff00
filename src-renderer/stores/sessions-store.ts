import { create } from 'zustand';
import type { Session } from '../../src-shared/model.js';

export interface SessionsState {
  sessions: Session[];
  loaded: boolean;
  selectedId: string | null;
  error: string | null;
  setSessions: (sessions: Session[]) => void;
  upsert: (session: Session) => void;
  remove: (id: string) => void;
  select: (id: string | null) => void;
  setError: (error: string | null) => void;
}

function newestFirst(a: Session, b: Session): number {
  return b.createdAt.localeCompare(a.createdAt);
}

export const useSessionsStore = create<SessionsState>()((set, get) => ({
  sessions: [],
  loaded: false,
  selectedId: null,
  error: null,
  setSessions(sessions) {
    const sorted = [...sessions].sort(newestFirst);
    const selectedId = get().selectedId;
    const stillThere = selectedId !== null && sorted.some((s) => s.id === selectedId);
    set({ sessions: sorted, loaded: true, error: null, selectedId: stillThere ? selectedId : (sorted[0]?.id ?? null) });
  },
  upsert(session) {
    const sessions = get().sessions;
    const index = sessions.findIndex((s) => s.id === session.id);
    if (index === -1) {
      set({ sessions: [session, ...sessions].sort(newestFirst) });
    } else {
      const next = sessions.slice();
      next[index] = session;
      set({ sessions: next });
    }
  },
  remove(id) {
    const sessions = get().sessions.filter((s) => s.id !== id);
    const selectedId = get().selectedId === id ? (sessions[0]?.id ?? null) : get().selectedId;
    set({ sessions, selectedId });
  },
  select(selectedId) {
    set({ selectedId });
  },
  setError(error) {
    set({ error });
  },
}));
