import type { Session } from '../../../src-shared/model.js';

/** What to paste where to send traffic through a session, as exact text. */
export function connectInstructions(session: Pick<Session, 'mode' | 'proxyUrl'>): { setup: string; tryIt: string } {
  if (session.mode === 'reverse') {
    return { setup: session.proxyUrl, tryIt: `curl -i ${session.proxyUrl}/` };
  }
  return {
    setup: `HTTP_PROXY=${session.proxyUrl}\nHTTPS_PROXY=${session.proxyUrl}`,
    tryIt: `curl -i -x ${session.proxyUrl} http://example.com/`,
  };
}
