/** `traffic-recorder ca ...` and `traffic-recorder system-proxy ...`: the machine-level operations over REST. */
import fs from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import type { CaStatusResponse, TrustResult } from '../../src-shared/machine.js';
import type { RestRecorderClient } from './rest-client.js';
import { resolveSessionId } from './session-ref.js';

type ClientFactory = (cmd: Command) => { api: RestRecorderClient; json: boolean | undefined };

function out(json: boolean | undefined, data: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}

function describeCa(s: CaStatusResponse): string {
  return s.exists ? `CA "${s.commonName}" valid until ${s.notAfter}\n  sha256: ${s.sha256}\n  file:   ${s.certPath}` : 'No CA yet: run `traffic-recorder ca generate`.';
}

function describeTrust(r: TrustResult): string {
  const lines = r.steps.flatMap((step) => [`${r.dryRun ? 'would run' : 'ran'} (${step.target}${step.elevated ? ', elevated' : ''}):`, ...step.display.map((d) => `  ${d}`)]);
  for (const skip of r.skipped) lines.push(`skipped ${skip.target}: ${skip.reason}`);
  if (r.status) lines.push(r.status.installed ? 'The CA is trusted.' : 'The CA is not trusted.');
  return lines.join('\n') || 'Nothing to do.';
}

export function addMachineCommands(program: Command, withServer: (cmd: Command) => Command, client: ClientFactory): void {
  const ca = withServer(program.command('ca').description('the interception CA: status, generate, download, trust'));
  ca.command('status')
    .description('does a CA exist, and is it trusted by this machine?')
    .action(async (_o, cmd: Command) => {
      const { api, json } = client(cmd);
      const status = await api.caStatus();
      const trust = status.exists ? await api.trustStatus() : undefined;
      out(json, { ca: status, trust }, () => `${describeCa(status)}${trust ? `\n  trusted by the OS: ${trust.installed ? 'yes' : 'no'}` : ''}`);
    });
  ca.command('generate')
    .description('create the CA (once; later calls return the existing one)')
    .action(async (_o, cmd: Command) => {
      const { api, json } = client(cmd);
      const result = await api.caGenerate();
      out(json, result, () => `${result.created ? 'Created' : 'Already there'}: ${describeCa(result.ca)}`);
    });
  ca.command('download')
    .description('write the CA certificate (PEM)')
    .option('--out <file>', 'file to write (default: standard output)')
    .action(async (opts: { out?: string }, cmd: Command) => {
      const { api, json } = client(cmd);
      const pem = Buffer.from((await api.caDownload()).bytes).toString('utf8');
      if (!opts.out) return void process.stdout.write(pem);
      const file = path.resolve(opts.out);
      try {
        fs.writeFileSync(file, pem);
      } catch (e) {
        throw new Error(`cannot write the CA certificate to ${file}: ${(e as Error).message}`);
      }
      out(json, { written: file, bytes: Buffer.byteLength(pem) }, () => `Wrote the CA certificate (PEM) to ${file}`);
    });
  for (const op of ['install', 'uninstall'] as const) {
    ca.command(op)
      .description(`${op} the CA ${op === 'install' ? 'into' : 'from'} the OS trust store (and NSS databases on Linux)`)
      .addOption(new Option('--scope <scope>', 'which stores').choices(['user', 'system', 'all']))
      .option('--dry-run', 'print the exact commands, change nothing')
      .option('--nss-db <dir...>', 'NSS databases to use instead of the discovered ones')
      .action(async (opts: { scope?: string; dryRun?: boolean; nssDb?: string[] }, cmd: Command) => {
        const { api, json } = client(cmd);
        const result = await api[op === 'install' ? 'trustInstall' : 'trustUninstall']({
          ...(opts.scope ? { scope: opts.scope as 'user' | 'system' | 'all' } : {}),
          ...(opts.dryRun ? { dryRun: true } : {}),
          ...(opts.nssDb ? { nssDbs: opts.nssDb } : {}),
        });
        out(json, result, () => describeTrust(result));
      });
  }

  const proxy = withServer(program.command('system-proxy').description('point the OS proxy settings at a forward session, and back'));
  proxy
    .command('on')
    .description('use a running forward session as the system proxy')
    .requiredOption('--session <id>', 'forward session id')
    .option('--bypass <host...>', 'hosts that skip the proxy')
    .option('--dry-run', 'print the exact commands, change nothing')
    .action(async (opts: { session: string; bypass?: string[]; dryRun?: boolean }, cmd: Command) => {
      const { api, json } = client(cmd);
      const sessionId = await resolveSessionId(api, opts.session);
      const result = await api.systemProxyOn({
        sessionId,
        ...(opts.bypass ? { bypass: opts.bypass } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
      });
      out(json, result, () => [...(opts.dryRun ? ['would run:'] : ['ran:']), ...result.commands.map((c) => `  ${c}`), `previous settings saved in ${result.stateFile}`].join('\n'));
    });
  proxy
    .command('off')
    .description('restore the settings that were there before `on`')
    .option('--dry-run', 'print the exact commands, change nothing')
    .action(async (opts: { dryRun?: boolean }, cmd: Command) => {
      const { api, json } = client(cmd);
      const result = await api.systemProxyOff(opts.dryRun ? { dryRun: true } : {});
      out(json, result, () => (result.restored ? `Restored:\n${result.commands.map((c) => `  ${c}`).join('\n')}` : 'Nothing to restore.'));
    });
  proxy
    .command('status')
    .description('what the OS proxy settings are now')
    .action(async (_o, cmd: Command) => {
      const { api, json } = client(cmd);
      const status = await api.systemProxyStatus();
      out(json, status, () =>
        `${status.backend}: ${status.current.enabled ? `proxy ${status.current.http?.host}:${status.current.http?.port}` : 'no proxy'}${status.ours ? ' (set by Traffic Recorder)' : ''}`,
      );
    });
}
