import { describe, expect, it } from 'vitest';
import { appleScriptString, elevate, isElevationRefused, shScript, winQuoteArg } from './elevation.js';
import { formatCommand, shQuote } from './runner.js';

describe('elevation wrapping', () => {
  const a = { file: 'install', args: ['-m', '0644', '/tmp/my ca.pem', '/usr/local/share/ca-certificates/x.crt'] };
  const b = { file: 'update-ca-certificates', args: [] };

  it('linux: one command goes straight to pkexec, several behind one pkexec /bin/sh -c', () => {
    expect(elevate('linux', [b])).toMatchObject({ file: 'pkexec', args: ['update-ca-certificates'] });
    expect(elevate('linux', [a, b])).toMatchObject({
      file: 'pkexec',
      args: ['/bin/sh', '-c', "install -m 0644 '/tmp/my ca.pem' /usr/local/share/ca-certificates/x.crt && update-ca-certificates"],
    });
    expect(shScript([{ file: 'rm', args: ['-f', 'x'], allowFailure: true }, b])).toBe('{ rm -f x || true; } && update-ca-certificates');
  });

  it('darwin: osascript do shell script with administrator privileges, AppleScript-escaped', () => {
    const cmd = elevate('darwin', [{ file: 'security', args: ['add-trusted-cert', '-d', '-r', 'trustRoot', '-k', '/Library/Keychains/System.keychain', '/Users/me/ca "x".pem'] }]);
    expect(cmd.file).toBe('osascript');
    expect(cmd.args).toEqual(['-e', `do shell script "security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain '/Users/me/ca \\"x\\".pem'" with administrator privileges`]);
    expect(appleScriptString('a\\b"c')).toBe('"a\\\\b\\"c"');
  });

  it('win32: PowerShell Start-Process -Verb RunAs, refusal mapped to exit 1223', () => {
    const cmd = elevate('win32', [{ file: 'certutil', args: ['-addstore', 'Root', 'C:\\Users\\me\\App Data\\ca.pem'] }]);
    expect(cmd.file).toBe('powershell.exe');
    expect(cmd.args.slice(0, 5)).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command']);
    expect(cmd.args[5]).toBe("try { $p = Start-Process -FilePath 'certutil' -ArgumentList '-addstore Root \"C:\\Users\\me\\App Data\\ca.pem\"' -Verb RunAs -Wait -PassThru -WindowStyle Hidden; exit $p.ExitCode } catch { exit 1223 }");
  });

  it('quotes Windows arguments the way CommandLineToArgvW reads them', () => {
    expect(winQuoteArg('plain')).toBe('plain');
    expect(winQuoteArg('')).toBe('""');
    expect(winQuoteArg('a b')).toBe('"a b"');
    expect(winQuoteArg('say "hi"')).toBe('"say \\"hi\\""');
    expect(winQuoteArg('C:\\dir with space\\')).toBe('"C:\\dir with space\\\\"');
  });

  it('recognises refusals per platform and not ordinary failures', () => {
    expect(isElevationRefused('linux', { code: 126, stdout: '', stderr: 'Error executing command as another user: Request dismissed' })).toBe(true);
    expect(isElevationRefused('linux', { code: 127, stdout: '', stderr: 'Error executing command as another user: Not authorized' })).toBe(true);
    expect(isElevationRefused('linux', { code: 1, stdout: '', stderr: 'update-ca-certificates: failed' })).toBe(false);
    expect(isElevationRefused('darwin', { code: 1, stdout: '', stderr: '0:133: execution error: User canceled. (-128)' })).toBe(true);
    expect(isElevationRefused('darwin', { code: 1, stdout: '', stderr: 'SecCertificateAddToKeychain: bad file' })).toBe(false);
    expect(isElevationRefused('win32', { code: 1223, stdout: '', stderr: '' })).toBe(true);
    expect(isElevationRefused('win32', { code: -2147023673, stdout: 'CertUtil: -addstore command FAILED: 0x800704c7 (WIN32: 1223 ERROR_CANCELLED)', stderr: '' })).toBe(true);
    expect(isElevationRefused('win32', { code: 0, stdout: '', stderr: '' })).toBe(false);
  });

  it('formats commands copy-pasteably', () => {
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
    expect(formatCommand({ file: 'certutil', args: ['-n', 'Traffic Recorder CA', '-t', 'C,,'] })).toBe("certutil -n 'Traffic Recorder CA' -t C,,");
  });
});
