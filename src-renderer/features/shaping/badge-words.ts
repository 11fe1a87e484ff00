/** What toxics, modification rules and map local did to an entry, in the words its badges and detail use. */
import type { InjectedToxic } from '../../../src-shared/toxics.js';

/** The badge's short word: the kind, and for an error its status. */
export function injectedBadge(injected: InjectedToxic): string {
  return injected.kind === 'error' && injected.status ? `error ${injected.status}` : injected.kind === 'slowRead' ? 'slow read' : injected.kind;
}

/** Everything the toxics did to it, as a sentence. */
export function injectedWords(injected: InjectedToxic): string {
  const parts: string[] = [];
  switch (injected.kind) {
    case 'error': parts.push(`answered ${injected.status ?? ''} by the proxy, never sent upstream`.replace('  ', ' ')); break;
    case 'reset': parts.push('connection reset, no answer'); break;
    case 'timeout': parts.push('held unanswered until the client gave up'); break;
    case 'delay': case 'bandwidth': case 'slowRead': break;
    default: {
      const unknown: never = injected.kind;
      parts.push(String(unknown));
    }
  }
  if (injected.cause) parts.push(`by ${injected.cause}`);
  if (injected.delayMs !== undefined) parts.push(`delayed ${injected.delayMs} ms`);
  if (injected.bandwidthKBps) parts.push(`response at ${injected.bandwidthKBps} KB/s`);
  if (injected.slowReadKBps) parts.push(`request read at ${injected.slowReadKBps} KB/s`);
  if (injected.set !== undefined) parts.push(`toxic set ${injected.set}`);
  return parts.join(', ');
}
