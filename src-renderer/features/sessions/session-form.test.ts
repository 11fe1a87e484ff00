import { describe, expect, it } from 'vitest';
import { EMPTY_FORM, formOverJson, formToInput, inputToForm, parseConfigJson, parseHostList, validateMitmHosts, validatePort, validateTargetUrl } from './session-form.js';
import { connectInstructions } from './connect-instructions.js';
import { toxicsFromInput } from '../shaping/toxics-form.js';
import { tabOfPath } from './use-new-session.js';

describe('session form', () => {
  it('validates the target URL by mode', () => {
    expect(validateTargetUrl('', 'reverse')).toMatch(/needs a target/);
    expect(validateTargetUrl('', 'forward')).toBeNull();
    expect(validateTargetUrl('ftp://x', 'reverse')).toMatch(/http/);
    expect(validateTargetUrl('localhost:3000', 'reverse')).toMatch(/http/);
    expect(validateTargetUrl('http://127.0.0.1:3000', 'reverse')).toBeNull();
  });
  it('ignores the (disabled) target URL of a forward session', () => {
    expect(validateTargetUrl('not a url', 'forward')).toBeNull();
    expect(formToInput({ ...EMPTY_FORM, mode: 'forward', targetUrl: 'https://left.over' }, { targetUrl: 'https://from.json' })).toEqual({ mode: 'forward', namespace: 'default' });
  });
  it('validates ports, blank meaning auto', () => {
    expect(validatePort('')).toBeNull();
    expect(validatePort('8085')).toBeNull();
    expect(validatePort('0')).not.toBeNull();
    expect(validatePort('70000')).not.toBeNull();
  });
  it('round-trips through the JSON configuration, keeping extra options', () => {
    const toxics = toxicsFromInput({ http: { delayMs: 5 } });
    const input = formToInput({ ...EMPTY_FORM, name: ' API ', targetUrl: 'http://a.test', listenPort: '8085', toxics }, { listenHost: '0.0.0.0', listenPort: 9000 });
    expect(input).toEqual({ name: 'API', mode: 'reverse', targetUrl: 'http://a.test', listenPort: 8085, namespace: 'default', listenHost: '0.0.0.0', toxics: { http: { delayMs: 5 } } });
    expect(inputToForm(input as Record<string, unknown>)).toEqual({ ...EMPTY_FORM, name: 'API', mode: 'reverse', targetUrl: 'http://a.test', listenPort: '8085', namespace: 'default', toxics });
    expect(formToInput({ ...EMPTY_FORM, mode: 'forward' })).toEqual({ mode: 'forward', namespace: 'default' });
    // The shaping tabs decide what the session gets: emptied there, gone from the configuration.
    expect(formToInput({ ...EMPTY_FORM, mode: 'forward' }, { toxics: { delayMs: 5 }, filters: { includeHosts: ['a'] }, modifications: { urlRewrites: [] } })).toEqual({ mode: 'forward', namespace: 'default' });
  });
  it('carries the shaping options through the form, those it cannot show unchanged', () => {
    const json = {
      mode: 'reverse', targetUrl: 'http://a.test',
      filters: { includeHosts: ['api.test'], excludeStatus: [404] },
      toxics: { http: [{ delayMs: 1, match: { path: '/a' } }, { errorRate: 0.5 }] },
      modifications: { responseHeaders: [{ action: 'replace', name: 'x', value: 'y' }], bodyReplacements: [{ match: 'a', replace: 'b', isRegex: true }] },
    };
    const form = inputToForm(json);
    expect(form.filters.includeHosts).toBe('api.test');
    expect(form.toxics.kept).toBe(json.toxics);
    expect(form.modifications.responseHeaders).toEqual([{ action: 'replace', name: 'x', value: 'y' }]);
    expect(formToInput(form)).toEqual({ ...json, namespace: 'default' });
  });
  it('sets mitm for forward sessions only, with the host lists, and ignoreUpstreamCertErrors when checked', () => {
    const forward = { ...EMPTY_FORM, mode: 'forward' as const, mitm: true, ignoreUpstreamCertErrors: true };
    expect(formToInput(forward)).toEqual({ mode: 'forward', namespace: 'default', mitm: { enabled: true }, ignoreUpstreamCertErrors: true });
    expect(formToInput({ ...forward, mitmIncludeHosts: 'api.test, *.b.test\nc.test' }).mitm).toEqual({ enabled: true, includeHosts: ['api.test', '*.b.test', 'c.test'] });
    expect(formToInput({ ...forward, mitmExcludeHosts: ' bank.test ' }).mitm).toEqual({ enabled: true, excludeHosts: ['bank.test'] });
    // A reverse session never sends mitm, even if the JSON had one; unchecking removes both options.
    expect(formToInput({ ...forward, mode: 'reverse', targetUrl: 'https://a.test' }, { mitm: { enabled: true } })).toEqual({
      mode: 'reverse', targetUrl: 'https://a.test', namespace: 'default', ignoreUpstreamCertErrors: true,
    });
    expect(formToInput({ ...EMPTY_FORM, mode: 'forward' }, { mitm: { enabled: true }, ignoreUpstreamCertErrors: true })).toEqual({ mode: 'forward', namespace: 'default' });
    // And back from the JSON configuration.
    expect(inputToForm({ mode: 'forward', mitm: { enabled: true, excludeHosts: ['a.test', 'b.test'] }, ignoreUpstreamCertErrors: true })).toMatchObject({
      mitm: true, mitmIncludeHosts: '', mitmExcludeHosts: 'a.test, b.test', ignoreUpstreamCertErrors: true,
    });
  });

  it('refuses include and exclude host lists together', () => {
    expect(parseHostList(' a.test,,b.test  c.test ')).toEqual(['a.test', 'b.test', 'c.test']);
    expect(validateMitmHosts({ mode: 'forward', mitm: true, mitmIncludeHosts: 'a', mitmExcludeHosts: 'b' })).toMatch(/not both/);
    expect(validateMitmHosts({ mode: 'forward', mitm: true, mitmIncludeHosts: 'a', mitmExcludeHosts: '' })).toBeNull();
    expect(validateMitmHosts({ mode: 'forward', mitm: false, mitmIncludeHosts: 'a', mitmExcludeHosts: 'b' })).toBeNull();
  });

  it('reads the JSON tab as an object, or says what is wrong with it', () => {
    expect(parseConfigJson('{"mode":"forward"}')).toEqual({ mode: 'forward' });
    expect(parseConfigJson('[1]')).toBe('The configuration must be a JSON object');
    expect(parseConfigJson('null')).toBe('The configuration must be a JSON object');
    expect(parseConfigJson('{"mode":')).toMatch(/^Not valid JSON: /);
  });

  it('puts the form over the JSON tab, keeping what only the JSON holds', () => {
    const form = { ...EMPTY_FORM, targetUrl: 'http://a.test', listenPort: '8090' };
    expect(formOverJson(form, '{"listenHost":"0.0.0.0","port":8081,"targetUrl":"http://old.test"}')).toEqual({
      listenHost: '0.0.0.0', mode: 'reverse', targetUrl: 'http://a.test', listenPort: 8090, namespace: 'default',
    });
    // Filters the form cannot show come into it from the JSON tab (inputToForm) and stay as they were.
    const kept = inputToForm({ filters: { include: [] } });
    expect(formOverJson({ ...form, filters: kept.filters }, '{}').filters).toEqual({ include: [] });
    // Nothing typed yet, or JSON that does not parse: the form alone.
    expect(formOverJson(form, '')).toEqual(formToInput(form));
    expect(formOverJson(form, '{oops')).toEqual(formToInput(form));
  });

  it('gives exact connect instructions', () => {
    const base = { proxyUrl: 'http://127.0.0.1:8085' };
    expect(connectInstructions({ ...base, mode: 'reverse' }).setup).toBe('http://127.0.0.1:8085');
    expect(connectInstructions({ ...base, mode: 'forward' }).setup).toBe('HTTP_PROXY=http://127.0.0.1:8085\nHTTPS_PROXY=http://127.0.0.1:8085');
  });
  it('finds the tab of a field the server names', () => {
    expect(['filters.excludeStatus.1', 'toxics.http.delayMs', 'modifications.urlRewrites.0.match', 'mapLocal.namespace', 'targetUrl'].map(tabOfPath))
      .toEqual(['scope', 'toxics', 'rules', 'form', 'form']);
  });
});
