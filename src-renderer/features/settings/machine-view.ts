/**
 * What the Settings view says about the machine operations, as plain data: errors in words (a refused
 * elevation, a missing tool), the CA's fingerprint and validity, the commands of a trust-store plan, the OS
 * proxy state, and which sessions can be the system proxy.
 */
import type { CaInfo, ProxyChangeResult, SystemProxyStatusResponse, TrustResult, TrustStatusResponse } from '../../../src-shared/machine.js';
import type { Session } from '../../../src-shared/model.js';
import { describeError, RecorderClientError } from '../../api/recorder-client.js';

export interface MachineProblem {
  /** forbidden: administrator rights refused; not_supported: a tool or backend is missing; other: anything else. */
  kind: 'forbidden' | 'not_supported' | 'not_found' | 'other';
  text: string;
}

/** A failed machine operation, said plainly. */
export function machineProblem(error: unknown): MachineProblem {
  const detail = describeError(error);
  if (error instanceof RecorderClientError) {
    if (error.status === 403 || error.code === 'forbidden') {
      return { kind: 'forbidden', text: `Administrator rights were refused, nothing was changed. ${detail}` };
    }
    if (error.code === 'not_supported') return { kind: 'not_supported', text: `Not supported on this machine: ${detail}` };
    if (error.status === 404 || error.code === 'not_found') return { kind: 'not_found', text: detail };
  }
  return { kind: 'other', text: detail };
}

/** `AB12CD…` → `AB:12:CD:…`, the way certificate viewers show it. */
export function formatFingerprint(hex: string): string {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return (clean.match(/.{1,2}/g) ?? []).join(':');
}

/** "valid 2026-01-01 → 2036-01-01" (dates only, UTC), with "expired" when it is. */
export function formatValidity(ca: Pick<CaInfo, 'notBefore' | 'notAfter' | 'expired'>): string {
  const day = (iso: string) => iso.slice(0, 10);
  return `${day(ca.notBefore)} → ${day(ca.notAfter)}${ca.expired ? ' (expired)' : ''}`;
}

/** Every command line of a trust-store plan or result, in order, with the target it is for. */
export function trustCommandLines(result: Pick<TrustResult, 'steps'>): { target: string; elevated: boolean; line: string }[] {
  return result.steps.flatMap((step) => step.display.map((line) => ({ target: step.target, elevated: step.elevated, line })));
}

/** One sentence for a trust-store result. */
export function trustResultSummary(result: TrustResult): string {
  const verb = result.op === 'install' ? 'install' : 'uninstall';
  const count = result.steps.length;
  const targets = `${count} target${count === 1 ? '' : 's'}`;
  if (result.dryRun) {
    return count === 0 ? `Dry run: nothing to ${verb}.` : `Dry run: these commands would ${verb} the CA (${targets}); nothing was changed.`;
  }
  const after = result.status ? (result.status.installed ? ' The CA is now trusted.' : ' The CA is not trusted now.') : '';
  return `${result.op === 'install' ? 'Installed into' : 'Removed from'} ${targets}.${after}`;
}

export function trustStatusSummary(status: TrustStatusResponse): string {
  return status.installed ? `Trusted by this machine (${status.platform})` : `Not trusted by this machine (${status.platform})`;
}

/** The OS proxy in words: backend, on/off, where it points, whether it is ours. */
export function systemProxySummary(status: SystemProxyStatusResponse): string {
  const where = status.current.https ?? status.current.http;
  const state = status.current.enabled ? `on${where ? `, ${where.host}:${where.port}` : ''}` : 'off';
  const ours = status.ours ? ' — set by Traffic Recorder' : status.current.enabled ? ' — not ours' : '';
  return `${status.backend}: ${state}${ours}`;
}

/** Is the OS proxy ours and pointing at this session? */
export function systemProxyUsesSession(status: SystemProxyStatusResponse | null, session: Pick<Session, 'listenPort'> | undefined): boolean {
  return Boolean(status && session && status.ours && status.savedProxy?.port === session.listenPort);
}

export function proxyChangeSummary(change: ProxyChangeResult & { restored?: boolean }): string {
  const prefix = change.dryRun ? 'Dry run: ' : '';
  if (change.restored === false) return `${prefix}Nothing to restore: the system proxy was not set by Traffic Recorder.`;
  return `${prefix}${change.commands.length} command${change.commands.length === 1 ? '' : 's'} (${change.backend}).`;
}

/** Sessions that can be the system proxy: running forward proxies, newest first. */
export function systemProxyCandidates(sessions: readonly Session[]): Session[] {
  return sessions.filter((s) => s.mode === 'forward' && s.status === 'running').sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
