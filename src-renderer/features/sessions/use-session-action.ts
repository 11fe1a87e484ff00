import { useState } from 'react';
import type { Session } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { describeError, RecorderClientError } from '../../api/recorder-client.js';
import { useSessionsStore } from '../../stores/sessions-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { portHolderWords, restartedMessage, type PortConflict } from './port-conflict.js';

export type SessionAction = 'stop' | 'start' | 'delete';

/** A stopped session restarts on its old port, or, when that is taken, only once the user agreed to move it. */
export function useSessionAction() {
  const client = useClient();
  const [busyId, setBusyId] = useState<string | null>(null);
  const [conflict, setConflict] = useState<PortConflict | null>(null);

  const restart = async (session: Session, keepPort: boolean) => {
    try {
      const { session: next } = await client.restartSession({ id: session.id, keepPort });
      useSessionsStore.getState().upsert(next);
      useUiStore.getState().toast('info', restartedMessage(session, next));
    } catch (error) {
      // Taken between the check and the start: ask, as if the check had seen it.
      if (keepPort && error instanceof RecorderClientError && error.code === 'conflict' && error.field === 'listenPort') {
        setConflict({ session, holder: error.message.replace(/^listenPort: port \d+ is taken by /, '') });
      } else {
        throw error;
      }
    }
  };

  const start = async (session: Session) => {
    const check = await client.portCheck({ port: session.listenPort }).catch(() => null);
    if (check && !check.available) {
      setConflict({ session, holder: portHolderWords(session.listenPort, useSessionsStore.getState().sessions, check, session.id) });
      return;
    }
    await restart(session, true);
  };

  const run = async (session: Session, action: SessionAction | 'move') => {
    setBusyId(session.id);
    try {
      if (action === 'delete') {
        await client.deleteSession({ id: session.id });
        useSessionsStore.getState().remove(session.id);
        useUiStore.getState().toast('info', `Deleted "${session.name}"`);
      } else if (action === 'stop') {
        useSessionsStore.getState().upsert((await client.stopSession({ id: session.id })).session);
      } else if (action === 'start') {
        await start(session);
      } else {
        await restart(session, false);
      }
    } catch (error) {
      const verb = action === 'move' ? 'start' : action;
      useUiStore.getState().toast('error', `Could not ${verb} "${session.name}": ${describeError(error)}`);
    } finally {
      setBusyId(null);
    }
  };
  return { busyId, run, conflict, dismissConflict: () => setConflict(null) };
}
