import { createContext, useContext } from 'react';
import type { RecorderClient } from './recorder-client.js';

export const ClientContext = createContext<RecorderClient | null>(null);

export function useClient(): RecorderClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside ClientContext');
  return client;
}
