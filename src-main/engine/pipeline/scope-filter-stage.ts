/** Scope filter: decides what is recorded, never what is forwarded (see filters/scope-filter.ts). */
import type { ScopeFilters } from '../../../src-shared/model.js';
import { compileScopeFilter } from '../filters/scope-filter.js';
import type { CapturedExchange } from '../capture/http-capture.js';
import type { CompletedExchange, Exchange, Stage, TunnelExchange, UpgradeExchange } from './stage.js';

/** No stage at all when the filters are empty: a session without filters pays nothing for them. */
export function scopeFilterStage(filters: ScopeFilters | undefined): Stage | undefined {
  const filter = compileScopeFilter(filters);
  if (filter.allowsAll) return undefined;
  const byStatus = (filters?.excludeStatus?.length ?? 0) > 0;
  return {
    name: 'scope-filter',
    onRequestHead(exchange: Exchange) {
      if (exchange.record && !filter.acceptsRequest(exchange.req.method ?? 'GET', exchange.url)) exchange.record = false;
    },
    ...(byStatus
      ? {
          onComplete(exchange: CompletedExchange, captured: CapturedExchange | undefined) {
            if (captured && !filter.acceptsStatus(captured.response?.statusCode)) exchange.record = false;
          },
        }
      : {}),
    onUpgrade(upgrade: UpgradeExchange) {
      if (upgrade.record && !(upgrade.url && filter.acceptsRequest(upgrade.req.method ?? 'GET', upgrade.url))) upgrade.record = false;
    },
    onTunnel(tunnel: TunnelExchange) {
      if (!filter.acceptsHost(tunnel.hostname)) tunnel.record = false;
    },
  };
}
