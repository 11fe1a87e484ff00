/**
 * Capture: recorded exchanges, upgrade handshakes and tunnels become entries. Last of the built-in stages, so
 * every earlier stage has decided `record` (and, at completion, the scope filter has seen the status).
 */
import { captureExchange, type CapturedExchange } from '../capture/http-capture.js';
import { captureHandshake } from '../sessions/upgrade-handshake.js';
import type { TunnelRecord } from '../sessions/proxy-session.js';
import type { CompletedExchange, Exchange, Stage, TunnelExchange, UpgradeExchange } from './stage.js';

export interface CaptureStageOptions {
  bodyLimit: number;
  onExchange: (exchange: CapturedExchange) => void;
  onTunnel: (tunnel: TunnelRecord) => void;
  onExchangeStart?: (exchange: CapturedExchange) => void;
  onExchangeDropped?: (exchange: CapturedExchange) => void;
}

export function captureStage(options: CaptureStageOptions): Stage {
  const onStart = options.onExchangeStart ? { onStart: options.onExchangeStart } : {};
  return {
    name: 'capture',
    onRequestHead(exchange: Exchange) {
      if (!exchange.record) {
        exchange.pipeline.completeOnClose(exchange, exchange.res);
        return;
      }
      captureExchange(exchange.req, exchange.res, {
        bodyLimit: options.bodyLimit,
        observer: exchange.observer,
        recordedUrl: () => exchange.url.toString(),
        onComplete: (captured) => exchange.pipeline.complete(exchange, captured),
        ...onStart,
      });
    },
    onComplete(exchange: CompletedExchange, captured: CapturedExchange | undefined) {
      if (!captured) return;
      if ('injected' in exchange && exchange.injected) captured.injected = exchange.injected;
      if ('modified' in exchange && exchange.modified) captured.modified = exchange.modified;
      if ('mapLocalMockId' in exchange && exchange.mapLocalMockId !== undefined) captured.mapLocalMockId = exchange.mapLocalMockId;
      if (exchange.record) options.onExchange(captured);
      else if (captured.id !== undefined) options.onExchangeDropped?.(captured);
    },
    onUpgrade(upgrade: UpgradeExchange) {
      if (!upgrade.record || !upgrade.url) return;
      captureHandshake(upgrade.req, upgrade.socket, {
        bodyLimit: options.bodyLimit,
        url: upgrade.url.toString(),
        onComplete: (captured) => upgrade.pipeline.complete(upgrade, captured),
      });
    },
    onTunnel(tunnel: TunnelExchange) {
      if (tunnel.record) watchTunnel(tunnel, options.onTunnel);
    },
  };
}

function watchTunnel({ kind, socket, hostname, port }: TunnelExchange, onTunnel: (tunnel: TunnelRecord) => void): void {
  const started = performance.now();
  const startedAt = Date.now();
  const readBase = socket.bytesRead;
  const writtenBase = socket.bytesWritten;
  let error: string | undefined;
  // `on`, not `once`: a second error on a tunnel socket must not find it without a listener.
  socket.on('error', (e: NodeJS.ErrnoException) => {
    error ??= e.code ?? e.message;
  });
  socket.once('close', () => {
    onTunnel({
      kind,
      startedAt,
      host: hostname,
      port: port ?? 443,
      bytesUp: Math.max(0, socket.bytesRead - readBase),
      bytesDown: Math.max(0, socket.bytesWritten - writtenBase),
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      error,
    });
  });
}
