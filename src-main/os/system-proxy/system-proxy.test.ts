import { existsSync, promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRunner } from '../fake-runner.js';
import type { Command } from '../runner.js';
import { parseServices } from './darwin.js';
import { gvStringArray, parseGvStringArray } from './gnome.js';
import { createSystemProxy, detectLinuxDesktop, readSavedState, stateFilePath } from './index.js';
import { INTERNET_SETTINGS_KEY, parseRegQuery } from './win32.js';

let dataDir: string;
beforeEach(async () => { dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-sysproxy-')); });
afterEach(async () => { await fs.rm(dataDir, { recursive: true, force: true }); });

const proxy = { host: '127.0.0.1', port: 8085 };
const GNOME_GETS = {
  'gsettings get org.gnome.system.proxy mode': { stdout: "'auto'\n" },
  'gsettings get org.gnome.system.proxy ignore-hosts': { stdout: "['localhost', '127.0.0.0/8']\n" },
  'gsettings get org.gnome.system.proxy.http host': { stdout: "'corp-proxy'\n" },
  'gsettings get org.gnome.system.proxy.http port': { stdout: '3128\n' },
  'gsettings get org.gnome.system.proxy.https host': { stdout: "''\n" },
  'gsettings get org.gnome.system.proxy.https port': { stdout: '0\n' },
};
const sets = (lines: string[]) => lines.filter((l) => !/ (get|query|-get\w+|-listallnetworkservices)( |$)/.test(l) && !l.startsWith('kreadconfig'));

describe('GNOME', () => {
  it('saves the previous values (0600) BEFORE the first change, then sets host/port/ignore-hosts and mode last', async () => {
    let savedWhenFirstSet: boolean | undefined;
    const run = fakeRunner({
      ...GNOME_GETS,
      'gsettings set': (cmd: Command) => { savedWhenFirstSet ??= existsSync(stateFilePath(dataDir)); void cmd; return {}; },
    });
    const sp = await createSystemProxy(dataDir, { platform: 'linux', desktop: 'gnome', runner: run });
    await sp.on(proxy);
    expect(savedWhenFirstSet).toBe(true);
    expect(statSync(stateFilePath(dataDir)).mode & 0o777).toBe(0o600);
    expect(sets(run.lines())).toEqual([
      "gsettings set org.gnome.system.proxy.http host '127.0.0.1'",
      'gsettings set org.gnome.system.proxy.http port 8085',
      "gsettings set org.gnome.system.proxy.https host '127.0.0.1'",
      'gsettings set org.gnome.system.proxy.https port 8085',
      "gsettings set org.gnome.system.proxy ignore-hosts ['localhost', '127.0.0.1', '::1']",
      "gsettings set org.gnome.system.proxy mode 'manual'",
    ]);
    const saved = await readSavedState(stateFilePath(dataDir));
    expect(saved).toMatchObject({ version: 1, backend: 'gnome', proxy, snapshot: { 'org.gnome.system.proxy mode': "'auto'" } });
  });

  it('off() restores exactly the saved GVariant values, mode first, and deletes the file', async () => {
    const run = fakeRunner(GNOME_GETS);
    const sp = await createSystemProxy(dataDir, { platform: 'linux', desktop: 'gnome', runner: run });
    await sp.on(proxy);
    run.calls.length = 0;
    const res = await sp.off();
    expect(res.restored).toBe(true);
    expect(run.lines()).toEqual([
      "gsettings set org.gnome.system.proxy mode 'auto'",
      "gsettings set org.gnome.system.proxy ignore-hosts ['localhost', '127.0.0.0/8']",
      "gsettings set org.gnome.system.proxy.http host 'corp-proxy'",
      'gsettings set org.gnome.system.proxy.http port 3128',
      "gsettings set org.gnome.system.proxy.https host ''",
      'gsettings set org.gnome.system.proxy.https port 0',
    ]);
    expect(existsSync(stateFilePath(dataDir))).toBe(false);
    expect((await sp.off()).restored).toBe(false);
  });

  it('a second on() keeps the ORIGINAL snapshot; recoverAfterCrash restores it from the file', async () => {
    const run = fakeRunner(GNOME_GETS);
    const sp = await createSystemProxy(dataDir, { platform: 'linux', desktop: 'gnome', runner: run });
    await sp.on(proxy);
    // Simulate the OS now showing our values, then switching to another session's port.
    const now = fakeRunner({ ...GNOME_GETS, 'gsettings get org.gnome.system.proxy mode': { stdout: "'manual'" } });
    const sp2 = await createSystemProxy(dataDir, { platform: 'linux', desktop: 'gnome', runner: now });
    await sp2.on({ host: '127.0.0.1', port: 9000 });
    const saved = await readSavedState(stateFilePath(dataDir));
    expect(saved?.snapshot).toMatchObject({ 'org.gnome.system.proxy mode': "'auto'" });
    expect(saved?.proxy.port).toBe(9000);
    // "Crash": a fresh instance at startup.
    const boot = fakeRunner();
    const sp3 = await createSystemProxy(dataDir, { platform: 'linux', desktop: 'gnome', runner: boot });
    expect(await sp3.recoverAfterCrash()).toBe(true);
    expect(boot.lines()[0]).toBe("gsettings set org.gnome.system.proxy mode 'auto'");
    expect(await sp3.recoverAfterCrash()).toBe(false);
  });

  it('dry run reads but changes nothing and writes no file', async () => {
    const run = fakeRunner(GNOME_GETS);
    const sp = await createSystemProxy(dataDir, { platform: 'linux', desktop: 'gnome', runner: run });
    const res = await sp.on(proxy, { dryRun: true });
    expect(res.dryRun).toBe(true);
    expect(res.commands.at(-1)).toBe("gsettings set org.gnome.system.proxy mode ''\\''manual'\\'''");
    expect(sets(run.lines())).toEqual([]);
    expect(existsSync(stateFilePath(dataDir))).toBe(false);
  });

  it('a failing change rolls back to the snapshot and rethrows', async () => {
    const run = fakeRunner({ ...GNOME_GETS, 'gsettings set org.gnome.system.proxy mode \'manual\'': { code: 1, stderr: 'boom' } });
    const sp = await createSystemProxy(dataDir, { platform: 'linux', desktop: 'gnome', runner: run });
    await expect(sp.on(proxy)).rejects.toMatchObject({ code: 'COMMAND_FAILED' });
    expect(run.lines()).toContain("gsettings set org.gnome.system.proxy mode 'auto'");
    expect(existsSync(stateFilePath(dataDir))).toBe(false);
  });

  it('status reports the current settings and whether they are ours', async () => {
    const run = fakeRunner({
      ...GNOME_GETS,
      'gsettings get org.gnome.system.proxy mode': { stdout: "'manual'" },
      'gsettings get org.gnome.system.proxy.http host': { stdout: "'127.0.0.1'" },
      'gsettings get org.gnome.system.proxy.http port': { stdout: '8085' },
    });
    const sp = await createSystemProxy(dataDir, { platform: 'linux', desktop: 'gnome', runner: run });
    await sp.on(proxy);
    const st = await sp.status();
    expect(st).toMatchObject({ backend: 'gnome', ours: true, pendingRestore: true, current: { enabled: true, http: { host: '127.0.0.1', port: 8085 } } });
  });

  it('GVariant arrays round-trip', () => {
    expect(gvStringArray([])).toBe('@as []');
    expect(parseGvStringArray("['a', 'it\\'s']")).toEqual(['a', "it's"]);
  });
});

describe('KDE', () => {
  it('writes kioslaverc with kwriteconfig6, notifies KIO, and deletes keys that were absent on restore', async () => {
    const run = fakeRunner({ 'kreadconfig6 --file kioslaverc --group Proxy Settings --key ProxyType': { stdout: '0\n' } });
    const sp = await createSystemProxy(dataDir, { platform: 'linux', desktop: 'kde', env: { KDE_SESSION_VERSION: '6' }, runner: run });
    await sp.on(proxy);
    await sp.off();
    const g = ['--file', 'kioslaverc', '--group', 'Proxy Settings'];
    expect(run.calls.filter((c) => c.file !== 'kreadconfig6').map((c) => [c.file, ...c.args])).toEqual([
      ['kwriteconfig6', ...g, '--key', 'httpProxy', 'http://127.0.0.1 8085'],
      ['kwriteconfig6', ...g, '--key', 'httpsProxy', 'http://127.0.0.1 8085'],
      ['kwriteconfig6', ...g, '--key', 'NoProxyFor', 'localhost,127.0.0.1,::1'],
      ['kwriteconfig6', ...g, '--key', 'ProxyType', '1'],
      ['dbus-send', '--type=signal', '/KIO/Scheduler', 'org.kde.KIO.Scheduler.reparseSlaveConfiguration', "string:''"],
      ['kwriteconfig6', ...g, '--key', 'ProxyType', '0'],
      ['kwriteconfig6', ...g, '--key', 'httpProxy', '--delete'],
      ['kwriteconfig6', ...g, '--key', 'httpsProxy', '--delete'],
      ['kwriteconfig6', ...g, '--key', 'NoProxyFor', '--delete'],
      ['dbus-send', '--type=signal', '/KIO/Scheduler', 'org.kde.KIO.Scheduler.reparseSlaveConfiguration', "string:''"],
    ]);
  });

  it('detects the desktop from XDG_CURRENT_DESKTOP and the tools present', async () => {
    const has = (tools: string[]) => (p: string) => Promise.resolve(tools.includes(p));
    expect(await detectLinuxDesktop({ XDG_CURRENT_DESKTOP: 'KDE' }, has(['kwriteconfig5', 'gsettings']))).toEqual({ desktop: 'kde', kdeVersion: 5 });
    expect(await detectLinuxDesktop({ XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' }, has(['gsettings']))).toMatchObject({ desktop: 'gnome' });
    expect(await detectLinuxDesktop({}, has([]))).toBeNull();
    await expect(createSystemProxy(dataDir, { platform: 'linux', env: {}, which: has([]) })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});

describe('macOS', () => {
  const NS = {
    'networksetup -listallnetworkservices': { stdout: 'An asterisk (*) denotes that a network service is disabled.\nWi-Fi\n*Bluetooth PAN\nUSB 10/100/1000 LAN\n' },
    'networksetup -getwebproxy Wi-Fi': { stdout: 'Enabled: Yes\nServer: corp\nPort: 3128\nAuthenticated Proxy Enabled: 0\n' },
    'networksetup -getwebproxy USB': { stdout: 'Enabled: No\nServer: \nPort: 0\nAuthenticated Proxy Enabled: 0\n' },
    'networksetup -getsecurewebproxy': { stdout: 'Enabled: No\nServer: \nPort: 0\nAuthenticated Proxy Enabled: 0\n' },
    'networksetup -getproxybypassdomains Wi-Fi': { stdout: '*.local\n169.254/16\n' },
    'networksetup -getproxybypassdomains USB': { stdout: "There aren't any bypass domains set on USB 10/100/1000 LAN.\n" },
  };

  it('sets web + secure web proxy and bypass on every active service, and restores each exactly', async () => {
    const run = fakeRunner(NS);
    const sp = await createSystemProxy(dataDir, { platform: 'darwin', runner: run });
    await sp.on(proxy);
    await sp.off();
    expect(sets(run.lines())).toEqual([
      'networksetup -setwebproxy Wi-Fi 127.0.0.1 8085',
      'networksetup -setsecurewebproxy Wi-Fi 127.0.0.1 8085',
      'networksetup -setproxybypassdomains Wi-Fi localhost 127.0.0.1 ::1',
      'networksetup -setwebproxystate Wi-Fi on',
      'networksetup -setsecurewebproxystate Wi-Fi on',
      'networksetup -setwebproxy USB 10/100/1000 LAN 127.0.0.1 8085',
      'networksetup -setsecurewebproxy USB 10/100/1000 LAN 127.0.0.1 8085',
      'networksetup -setproxybypassdomains USB 10/100/1000 LAN localhost 127.0.0.1 ::1',
      'networksetup -setwebproxystate USB 10/100/1000 LAN on',
      'networksetup -setsecurewebproxystate USB 10/100/1000 LAN on',
      'networksetup -setwebproxy Wi-Fi corp 3128',
      'networksetup -setproxybypassdomains Wi-Fi *.local 169.254/16',
      'networksetup -setwebproxystate Wi-Fi on',
      'networksetup -setsecurewebproxystate Wi-Fi off',
      'networksetup -setproxybypassdomains USB 10/100/1000 LAN Empty',
      'networksetup -setwebproxystate USB 10/100/1000 LAN off',
      'networksetup -setsecurewebproxystate USB 10/100/1000 LAN off',
    ]);
    // The service name stays ONE argv element despite its spaces and slashes.
    expect(run.calls.find((c) => c.args[0] === '-setwebproxystate' && c.args[1]!.startsWith('USB'))?.args).toEqual(['-setwebproxystate', 'USB 10/100/1000 LAN', 'on']);
    expect(parseServices(NS['networksetup -listallnetworkservices'].stdout)).toEqual(['Wi-Fi', 'USB 10/100/1000 LAN']);
  });
});

describe('Windows', () => {
  const q = (name: string) => `reg query ${INTERNET_SETTINGS_KEY} /v ${name}`;
  const REG = {
    [q('ProxyEnable')]: { stdout: `\r\n${INTERNET_SETTINGS_KEY}\r\n    ProxyEnable    REG_DWORD    0x0\r\n\r\n` },
    [q('ProxyServer')]: { code: 1, stderr: 'ERROR: The system was unable to find the specified registry key or value.' },
    [q('ProxyOverride')]: { stdout: `\r\n${INTERNET_SETTINGS_KEY}\r\n    ProxyOverride    REG_SZ    <local>\r\n` },
    [q('AutoConfigURL')]: { stdout: `\r\n${INTERNET_SETTINGS_KEY}\r\n    AutoConfigURL    REG_SZ    http://wpad/wpad.dat\r\n` },
  };

  it('reg add ProxyServer/ProxyOverride/ProxyEnable, clears a PAC URL, notifies WinINet; restore deletes what was absent', async () => {
    const run = fakeRunner(REG);
    const sp = await createSystemProxy(dataDir, { platform: 'win32', runner: run });
    await sp.on(proxy);
    await sp.off();
    const K = INTERNET_SETTINGS_KEY;
    const changes = run.calls.filter((c) => c.args[0] !== 'query').map((c) => (c.file === 'powershell.exe' ? 'NOTIFY' : [c.file, ...c.args].join('|')));
    expect(changes).toEqual([
      `reg|add|${K}|/v|ProxyServer|/t|REG_SZ|/d|http=127.0.0.1:8085;https=127.0.0.1:8085|/f`,
      `reg|add|${K}|/v|ProxyOverride|/t|REG_SZ|/d|localhost;127.0.0.1;::1|/f`,
      `reg|delete|${K}|/v|AutoConfigURL|/f`,
      `reg|add|${K}|/v|ProxyEnable|/t|REG_DWORD|/d|1|/f`,
      'NOTIFY',
      `reg|add|${K}|/v|ProxyEnable|/t|REG_DWORD|/d|0|/f`,
      `reg|delete|${K}|/v|ProxyServer|/f`,
      `reg|add|${K}|/v|ProxyOverride|/t|REG_SZ|/d|<local>|/f`,
      `reg|add|${K}|/v|AutoConfigURL|/t|REG_SZ|/d|http://wpad/wpad.dat|/f`,
      'NOTIFY',
    ]);
    const notify = run.calls.find((c) => c.file === 'powershell.exe')!;
    expect(notify.args.at(-1)).toMatch(/InternetSetOption\(\[IntPtr\]::Zero, 39,.*InternetSetOption\(\[IntPtr\]::Zero, 37,/);
  });

  it('parses reg query output', () => {
    expect(parseRegQuery('    ProxyEnable    REG_DWORD    0x1', 'ProxyEnable')).toEqual({ type: 'REG_DWORD', data: '1' });
    expect(parseRegQuery('    ProxyServer    REG_SZ    ', 'ProxyServer')).toEqual({ type: 'REG_SZ', data: '' });
    expect(parseRegQuery('ERROR', 'ProxyServer')).toBeNull();
  });
});
