/**
 * Loop check: a request carrying this session's own `Via` token has come back to it, and a destination that is
 * this very listener would come back at once (508, recorded); two Host headers are refused (400, recorded; RFC 9112
 * 3.2: which one the upstream would use is anyone's guess, a classic cache-poisoning shape). The `Via` token is the
 * forwarder's (it marks what it sends). Upgrades, which mockttp sends upstream, get the listener check.
 */
import { pointsAtListener } from '../proxy/forward-target.js';
import type { Exchange, LocalAnswer, Stage, UpgradeExchange } from './stage.js';

export function loopCheckStage(viaToken: string): Stage {
  return {
    name: 'loop-check',
    answerLocally: (exchange: Exchange) => requestRefusal(exchange, viaToken),
    onUpgrade(upgrade: UpgradeExchange) {
      const target = upgrade.target;
      if (target && pointsAtListener(target, upgrade.socket)) {
        upgrade.answer = { status: 508, message: 'Loop Detected', text: `Traffic Recorder: ${target.hostname}:${target.port} is this proxy itself\n` };
      }
    },
  };
}

function requestRefusal(exchange: Exchange, viaToken: string): LocalAnswer | undefined {
  const target = exchange.target;
  const { hosts, looped } = scanRequestHeaders(exchange.req.rawHeaders, viaToken);
  if (hosts > 1) {
    return { status: 400, message: 'Bad Request', failure: { code: 'DUPLICATE_HOST', detail: `${hosts} Host header lines` } };
  }
  if (looped) {
    return { status: 508, message: 'Loop Detected', failure: { code: 'LOOP', detail: `the request already passed through this session (Via ${viaToken})` } };
  }
  if (pointsAtListener(target, exchange.req.socket)) {
    return { status: 508, message: 'Loop Detected', failure: { code: 'LOOP', detail: `${target.hostname}:${target.port} is this proxy itself` } };
  }
  return undefined;
}

/** Host header lines, and whether one of the Via lines carries `token`; one pass, no allocation. */
function scanRequestHeaders(raw: readonly string[], token: string): { hosts: number; looped: boolean } {
  let hosts = 0;
  let looped = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
    else if (name.length === 3 && name.toLowerCase() === 'via' && raw[i + 1]!.includes(token)) looped = true;
  }
  return { hosts, looped };
}
