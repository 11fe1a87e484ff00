import { describe, expect, it } from 'vitest';
import { EMPTY_FORM, formToInput, inputToForm, validatePort, validateTargetUrl } from './session-form.js';
import { connectInstructions } from './connect-instructions.js';

describe('session form', () => {
  it('validates the target URL by mode', () => {
    expect(validateTargetUrl('', 'reverse')).toMatch(/needs a target/);
    expect(validateTargetUrl('', 'forward')).toBeNull();
    expect(validateTargetUrl('ftp://x', 'reverse')).toMatch(/http/);
    expect(validateTargetUrl('localhost:3000', 'reverse')).toMatch(/http/);
    expect(validateTargetUrl('http://127.0.0.1:3000', 'reverse')).toBeNull();
  });
  it('validates ports, blank meaning auto', () => {
    expect(validatePort('')).toBeNull();
    expect(validatePort('8085')).toBeNull();
    expect(validatePort('0')).not.toBeNull();
    expect(validatePort('70000')).not.toBeNull();
  });
  it('round-trips through the JSON configuration, keeping extra options', () => {
    const input = formToInput({ ...EMPTY_FORM, name: ' API ', targetUrl: 'http://a.test', listenPort: '8085' }, { toxics: { http: { delayMs: 5 } }, listenPort: 9000 });
    expect(input).toEqual({ name: 'API', mode: 'reverse', targetUrl: 'http://a.test', listenPort: 8085, namespace: 'default', toxics: { http: { delayMs: 5 } } });
    expect(inputToForm(input as Record<string, unknown>)).toEqual({ name: 'API', mode: 'reverse', targetUrl: 'http://a.test', listenPort: '8085', namespace: 'default' });
    expect(formToInput({ ...EMPTY_FORM, mode: 'forward' })).toEqual({ mode: 'forward', namespace: 'default' });
  });
  it('gives exact connect instructions', () => {
    const base = { proxyUrl: 'http://127.0.0.1:8085' };
    expect(connectInstructions({ ...base, mode: 'reverse' }).setup).toBe('http://127.0.0.1:8085');
    expect(connectInstructions({ ...base, mode: 'forward' }).setup).toBe('HTTP_PROXY=http://127.0.0.1:8085\nHTTPS_PROXY=http://127.0.0.1:8085');
  });
});
