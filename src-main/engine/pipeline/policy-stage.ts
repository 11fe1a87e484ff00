/** Upstream policy: hosts this recorder may not contact are refused (403) before anything is recorded or sent. */
import { hostOf } from '../filters/scope-filter.js';
import type { UpstreamPolicy } from '../proxy/upstream-policy.js';
import type { Exchange, LocalAnswer, Stage, TunnelExchange, UpgradeExchange } from './stage.js';

export function policyStage(mayContact: UpstreamPolicy): Stage {
  /** The recorded URL's host (named with its port), then the host actually contacted (a tunnel to an IP, a Host header naming another). */
  const refused = (url: URL | undefined, contacted: string | undefined): string | undefined => {
    if (url && !mayContact(hostOf(url))) return url.host;
    if (contacted !== undefined && !mayContact(contacted)) return contacted;
    return undefined;
  };
  return {
    name: 'upstream-policy',
    onRequestHead(exchange: Exchange) {
      const host = refused(exchange.url, exchange.target.hostname);
      if (host === undefined) return;
      exchange.record = false;
      exchange.answer = refusal(host);
    },
    onUpgrade(upgrade: UpgradeExchange) {
      const host = refused(upgrade.url, upgrade.target?.hostname);
      if (host === undefined) return;
      upgrade.record = false;
      upgrade.answer = refusal(host);
    },
    onTunnel(tunnel: TunnelExchange) {
      if (!mayContact(tunnel.hostname)) tunnel.refused = true;
    },
  };
}

function refusal(host: string): LocalAnswer {
  return { status: 403, message: 'Forbidden', text: `Traffic Recorder: this recorder may not contact ${host} (upstream policy)\n` };
}
