import { describe, expect, it } from 'vitest';
import type { SystemProxyStatusResponse, TrustResult } from '../../../src-shared/machine.js';
import type { Session } from '../../../src-shared/model.js';
import { RecorderClientError } from '../../api/recorder-client.js';
import { explainError } from '../detail/error-words.js';
import { forwardHint, setupHint } from '../sessions/connect-instructions.js';
import {
  formatFingerprint,
  formatValidity,
  machineProblem,
  proxyChangeSummary,
  systemProxyCandidates,
  systemProxySummary,
  systemProxyUsesSession,
  trustCommandLines,
  trustResultSummary,
} from './machine-view.js';

const proxyStatus = (over: Partial<SystemProxyStatusResponse> = {}): SystemProxyStatusResponse => ({
  backend: 'gnome',
  current: { enabled: false, bypass: [] },
  ours: false,
  pendingRestore: false,
  ...over,
});

describe('machine problems in words', () => {
  it('says a 403 is refused administrator rights and a not_supported is a missing tool or backend', () => {
    const refused = machineProblem(new RecorderClientError('pkexec: dismissed (administrator rights were refused)', 'forbidden', 403));
    expect(refused.kind).toBe('forbidden');
    expect(refused.text).toMatch(/^Administrator rights were refused, nothing was changed\./);
    const missing = machineProblem(new RecorderClientError('certutil is not installed or not on PATH', 'not_supported', 400));
    expect(missing).toEqual({ kind: 'not_supported', text: 'Not supported on this machine: certutil is not installed or not on PATH' });
    expect(machineProblem(new RecorderClientError('no CA has been generated yet', 'not_found', 404)).kind).toBe('not_found');
    expect(machineProblem(new RecorderClientError('scope: must be "user", "system" or "all"', 'bad_request', 400, 'scope'))).toEqual({ kind: 'other', text: 'scope: must be "user", "system" or "all"' });
    expect(machineProblem(new Error('network down')).text).toBe('network down');
  });
});

describe('the CA and trust store', () => {
  it('formats the fingerprint in colon pairs and the validity by date', () => {
    expect(formatFingerprint('ab12CD34')).toBe('AB:12:CD:34');
    expect(formatValidity({ notBefore: '2026-01-01T10:00:00.000Z', notAfter: '2036-01-01T10:00:00.000Z', expired: false })).toBe('2026-01-01 → 2036-01-01');
    expect(formatValidity({ notBefore: '2016-01-01T00:00:00Z', notAfter: '2017-01-01T00:00:00Z', expired: true })).toMatch(/\(expired\)$/);
  });

  it('lists the exact commands of a dry run and says nothing changed', () => {
    const plan: TrustResult = {
      op: 'install',
      dryRun: true,
      steps: [
        { target: 'system:debian', scope: 'system', elevated: true, commands: [], display: ['pkexec cp /d/ca/ca-cert.pem /usr/local/share/ca-certificates/x.crt', 'pkexec update-ca-certificates'] },
        { target: 'nss:/h/.pki/nssdb', scope: 'user', elevated: false, commands: [], display: ['certutil -A -d sql:/h/.pki/nssdb -n "Traffic Recorder CA" -t C,, -i /d/ca/ca-cert.pem'] },
      ],
      skipped: [],
    };
    expect(trustCommandLines(plan).map((l) => l.line)).toEqual([...plan.steps[0]!.display, ...plan.steps[1]!.display]);
    expect(trustCommandLines(plan)[0]).toMatchObject({ target: 'system:debian', elevated: true });
    expect(trustResultSummary(plan)).toBe('Dry run: these commands would install the CA (2 targets); nothing was changed.');
    expect(trustResultSummary({ ...plan, steps: [] })).toBe('Dry run: nothing to install.');
    expect(trustResultSummary({ ...plan, op: 'uninstall', dryRun: false, status: { platform: 'linux', installed: false, targets: [] } })).toBe('Removed from 2 targets. The CA is not trusted now.');
  });
});

describe('the system proxy', () => {
  it('describes the OS setting and whether it is ours for the chosen session', () => {
    expect(systemProxySummary(proxyStatus())).toBe('gnome: off');
    const ours = proxyStatus({ current: { enabled: true, http: { host: '127.0.0.1', port: 8085 }, bypass: ['localhost'] }, ours: true, pendingRestore: true, savedProxy: { host: '127.0.0.1', port: 8085 } });
    expect(systemProxySummary(ours)).toBe('gnome: on, 127.0.0.1:8085 — set by Traffic Recorder');
    expect(systemProxySummary(proxyStatus({ backend: 'macos', current: { enabled: true, https: { host: 'corp', port: 3128 }, bypass: [] } }))).toBe('macos: on, corp:3128 — not ours');
    expect(systemProxyUsesSession(ours, { listenPort: 8085 })).toBe(true);
    expect(systemProxyUsesSession(ours, { listenPort: 8086 })).toBe(false);
    expect(systemProxyUsesSession(null, { listenPort: 8085 })).toBe(false);
    expect(proxyChangeSummary({ dryRun: false, backend: 'gnome', reads: [], commands: ['gsettings set a b'], stateFile: '/s' })).toBe('1 command (gnome).');
    expect(proxyChangeSummary({ dryRun: false, backend: 'gnome', reads: [], commands: [], stateFile: '/s', restored: false })).toMatch(/Nothing to restore/);
  });

  it('offers running forward sessions only, newest first', () => {
    const s = (id: string, mode: Session['mode'], status: Session['status'], createdAt: string) => ({ id, mode, status, createdAt }) as Session;
    const list = [s('a', 'forward', 'running', '2026-01-01'), s('b', 'reverse', 'running', '2026-01-03'), s('c', 'forward', 'stopped', '2026-01-04'), s('d', 'forward', 'running', '2026-01-02')];
    expect(systemProxyCandidates(list).map((x) => x.id)).toEqual(['d', 'a']);
  });
});

describe('HTTPS hints in the connect panel and the detail pane', () => {
  it('says whether a forward session decrypts, and when the CA file does not exist yet', () => {
    expect(forwardHint({})).toMatch(/CONNECT tunnels/);
    expect(forwardHint({ mitm: { enabled: true } })).toMatch(/^HTTPS is decrypted with the Traffic Recorder CA/);
    expect(forwardHint({ mitm: { enabled: true, includeHosts: ['api.test'] } })).toMatch(/decrypted for api\.test/);
    expect(setupHint({ caGenerated: false })).toMatch(/does not exist yet/);
    expect(setupHint({ caGenerated: true })).toBeNull();
  });

  it('explains a client that refused our certificate', () => {
    expect(explainError({ code: 'CLIENT_REJECTED_CERT', message: 'x' })).toMatch(/does not trust the Traffic Recorder CA/);
    expect(explainError({ code: 'CLIENT_TLS_FAILED', message: 'x' })).toMatch(/TLS handshake with the client failed/);
  });
});
