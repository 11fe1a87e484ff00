import { PlannedTrustStore } from './base.js';
import path from 'node:path';
import { pemBody } from '../../engine/ca/pem.js';
import { elevate } from '../elevation.js';
import type { Command } from '../runner.js';
import { step } from './execute.js';
import {
  CA_NICKNAME, type TrustOptions, type TrustPlan,
  type TrustScope, type TrustSkip, type TrustStatus, type TrustStep, type TrustTargetStatus,
} from './types.js';

export const DEBIAN_CERT_DIR = '/usr/local/share/ca-certificates';
export const DEBIAN_CERT_FILE = `${DEBIAN_CERT_DIR}/traffic-recorder-ca.crt`;
export const DEBIAN_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export type LinuxSystemFlavor = 'debian' | 'p11-kit' | 'none';

// ---- pure command builders (unit-tested for exact argv) ----

export function debianInstallCommands(certPath: string): Command[] {
  return [
    { file: 'install', args: ['-D', '-m', '0644', certPath, DEBIAN_CERT_FILE], note: 'copy the CA into the local CA directory' },
    { file: 'update-ca-certificates', args: [], note: 'rebuild /etc/ssl/certs' },
  ];
}

/** The link update-ca-certificates made for our file; it would dangle after removal (only --fresh cleans those). */
export const DEBIAN_LINK = '/etc/ssl/certs/traffic-recorder-ca.pem';

export function debianUninstallCommands(): Command[] {
  return [
    { file: 'rm', args: ['-f', DEBIAN_CERT_FILE, DEBIAN_LINK], note: 'remove the CA file and its link' },
    // The subject-hash link (<hash>.0 -> traffic-recorder-ca.pem) is not cleaned by a plain run: delete exactly ours.
    { file: 'find', args: ['/etc/ssl/certs', '-maxdepth', '1', '-lname', path.basename(DEBIAN_LINK), '-delete'], note: 'remove our hash link' },
    // Plain run: the bundle is rebuilt from the remaining files and swapped in atomically. --fresh would also
    // clean links but empties /etc/ssl/certs for seconds, breaking concurrent TLS clients that use the CApath.
    { file: 'update-ca-certificates', args: [], note: 'rebuild /etc/ssl/certs' },
  ];
}

export function p11kitInstallCommands(certPath: string): Command[] {
  return [{ file: 'trust', args: ['anchor', '--store', certPath], note: 'add the CA as a p11-kit anchor' }];
}

export function p11kitUninstallCommands(certPath: string): Command[] {
  return [{ file: 'trust', args: ['anchor', '--remove', certPath], note: 'remove the p11-kit anchor' }];
}

export function nssCreateDbCommands(dir: string): Command[] {
  return [
    { file: 'mkdir', args: ['-p', '-m', '0700', dir] },
    { file: 'certutil', args: ['-N', '-d', `sql:${dir}`, '--empty-password'], note: 'create the NSS database Chromium reads' },
  ];
}

export function nssInstallCommands(dir: string, certPath: string): Command[] {
  return [
    // An older install's CA under the same nickname would make -A fail: drop it first.
    { file: 'certutil', args: ['-D', '-d', `sql:${dir}`, '-n', CA_NICKNAME], allowFailure: true },
    { file: 'certutil', args: ['-A', '-d', `sql:${dir}`, '-n', CA_NICKNAME, '-t', 'C,,', '-i', certPath] },
  ];
}

export function nssUninstallCommands(dir: string): Command[] {
  return [{ file: 'certutil', args: ['-D', '-d', `sql:${dir}`, '-n', CA_NICKNAME] }];
}

export function nssStatusCommand(dir: string): Command {
  return { file: 'certutil', args: ['-L', '-d', `sql:${dir}`, '-n', CA_NICKNAME, '-a'] };
}

// ---- the store ----

export class LinuxTrustStore extends PlannedTrustStore {
  readonly platform = 'linux' as const;

  async flavor(): Promise<LinuxSystemFlavor> {
    if (await this.deps.which('update-ca-certificates')) return 'debian';
    if (await this.deps.which('trust')) return 'p11-kit';
    return 'none';
  }

  /** ~/.pki/nssdb (Chromium, created if missing) plus every Firefox profile holding a cert9.db. */
  async nssDbs(override?: string[]): Promise<string[]> {
    if (override) return override;
    const home = this.deps.home;
    const dbs = [path.join(home, '.pki', 'nssdb')];
    const firefoxRoots = [
      path.join(home, '.mozilla', 'firefox'),
      path.join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
      path.join(home, '.var', 'app', 'org.mozilla.firefox', '.mozilla', 'firefox'),
    ];
    for (const root of firefoxRoots) {
      for (const name of await this.deps.readdir(root)) {
        const dir = path.join(root, name);
        if (await this.deps.exists(path.join(dir, 'cert9.db'))) dbs.push(dir);
      }
    }
    return dbs;
  }

  async status(opts: Pick<TrustOptions, 'scope' | 'nssDbs'> = {}): Promise<TrustStatus> {
    const scope = opts.scope ?? 'all';
    const targets: TrustTargetStatus[] = [];
    if (scope !== 'user') targets.push(await this.systemStatus());
    if (scope !== 'system') targets.push(...(await this.nssStatus(opts.nssDbs)));
    const known = targets.filter((t) => t.installed !== null);
    return { platform: 'linux', installed: known.length > 0 && known.every((t) => t.installed), targets };
  }

  private async systemStatus(): Promise<TrustTargetStatus> {
    const flavor = await this.flavor();
    const ours = pemBody(this.ca.certPem);
    if (flavor === 'debian') {
      const file = await this.deps.readFile(DEBIAN_CERT_FILE);
      const bundle = await this.deps.readFile(DEBIAN_BUNDLE);
      const copied = file !== null && pemBody(file) === ours;
      const active = bundle !== null && bundle.replace(/\s+/g, '').includes(ours);
      return {
        target: 'system:debian', scope: 'system', installed: copied && active,
        detail: copied && !active ? 'copied but update-ca-certificates has not run' : file !== null && !copied ? 'a different CA is installed under our name' : undefined,
      };
    }
    if (flavor === 'p11-kit') {
      const res = await this.deps.runner({ file: 'trust', args: ['list', '--filter=ca-anchors'] });
      const installed = res.code === 0 && new RegExp(`label: ${CA_NICKNAME}\\b`).test(res.stdout);
      return { target: 'system:p11-kit', scope: 'system', installed, detail: 'matched by label' };
    }
    return { target: 'system', scope: 'system', installed: null, detail: 'neither update-ca-certificates nor trust (p11-kit) found' };
  }

  private async nssStatus(override?: string[]): Promise<TrustTargetStatus[]> {
    const dbs = await this.nssDbs(override);
    const hasCertutil = await this.deps.which('certutil');
    const out: TrustTargetStatus[] = [];
    for (const dir of dbs) {
      const target = `nss:${dir}`;
      if (!hasCertutil) {
        out.push({ target, scope: 'user', installed: null, detail: 'certutil missing (Debian/Ubuntu: libnss3-tools, Fedora: nss-tools)' });
        continue;
      }
      if (!(await this.deps.exists(path.join(dir, 'cert9.db')))) {
        out.push({ target, scope: 'user', installed: false, detail: 'no NSS database yet' });
        continue;
      }
      const res = await this.deps.runner(nssStatusCommand(dir));
      const installed = res.code === 0 && pemBody(res.stdout) === pemBody(this.ca.certPem);
      out.push({ target, scope: 'user', installed, detail: res.code === 0 && !installed ? 'a different CA is installed under our nickname' : undefined });
    }
    return out;
  }

  async plan(op: 'install' | 'uninstall', opts: Omit<TrustOptions, 'dryRun'> = {}): Promise<TrustPlan> {
    const scope: TrustScope = opts.scope ?? 'all';
    const steps: TrustStep[] = [];
    const skipped: TrustSkip[] = [];
    if (scope !== 'user') {
      const flavor = await this.flavor();
      const cmds = flavor === 'debian'
        ? (op === 'install' ? debianInstallCommands(this.ca.certPath) : debianUninstallCommands())
        : flavor === 'p11-kit'
          ? (op === 'install' ? p11kitInstallCommands(this.ca.certPath) : p11kitUninstallCommands(this.ca.certPath))
          : null;
      if (!cmds) skipped.push({ target: 'system', reason: 'neither update-ca-certificates nor trust (p11-kit) found' });
      else if (this.deps.isRoot) steps.push(step(`system:${flavor}`, 'system', cmds, false));
      else steps.push(step(`system:${flavor}`, 'system', [elevate('linux', cmds)], true));
    }
    if (scope !== 'system') {
      const dbs = await this.nssDbs(opts.nssDbs);
      if (!(await this.deps.which('certutil'))) {
        for (const dir of dbs) skipped.push({ target: `nss:${dir}`, reason: 'certutil missing (Debian/Ubuntu: apt-get install libnss3-tools)' });
      } else {
        for (const dir of dbs) {
          const hasDb = await this.deps.exists(path.join(dir, 'cert9.db'));
          if (op === 'install') {
            steps.push(step(`nss:${dir}`, 'user', [...(hasDb ? [] : nssCreateDbCommands(dir)), ...nssInstallCommands(dir, this.ca.certPath)], false));
          } else if (hasDb) {
            const st = await this.deps.runner(nssStatusCommand(dir));
            if (st.code === 0 && pemBody(st.stdout) === pemBody(this.ca.certPem)) steps.push(step(`nss:${dir}`, 'user', nssUninstallCommands(dir), false));
            else skipped.push({ target: `nss:${dir}`, reason: 'our CA is not in this database' });
          } else {
            skipped.push({ target: `nss:${dir}`, reason: 'no NSS database' });
          }
        }
      }
    }
    return { op, steps, skipped };
  }

}
