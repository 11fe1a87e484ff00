import { describe, expect, it } from 'vitest';
import { buildHostPolicy, hostAllowed, isPublicRoute, nonCanonicalTarget, originAllowed, presentedToken, tokenMatches } from './request-guard.js';
import { explainUpstreamError, upstreamErrorCode } from '../engine/capture/upstream-errors.js';

describe('request guard', () => {
  it('reads the token from Authorization or a WebSocket subprotocol', () => {
    expect(presentedToken({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedToken({ authorization: 'bearer   abc ' })).toBe('abc');
    expect(presentedToken({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedToken({ 'sec-websocket-protocol': 'x, traffic-recorder.bearer.t0k' })).toBe('t0k');
    expect(presentedToken({})).toBeUndefined();
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abd')).toBe(false);
    expect(tokenMatches('abc', 'ab')).toBe(false);
    expect(tokenMatches('abc', undefined)).toBe(false);
  });

  it('accepts only our own Host names on a loopback bind, any on a wildcard bind', () => {
    const loopback = buildHostPolicy('127.0.0.1', 5770);
    expect(hostAllowed(loopback, '127.0.0.1:5770')).toBe(true);
    expect(hostAllowed(loopback, 'LOCALHOST:5770')).toBe(true);
    expect(hostAllowed(loopback, '[::1]:5770')).toBe(true);
    expect(hostAllowed(loopback, 'evil.example:5770')).toBe(false);
    expect(hostAllowed(loopback, '127.0.0.1:80')).toBe(false);
    expect(hostAllowed(loopback, undefined)).toBe(false);
    expect(hostAllowed(buildHostPolicy('0.0.0.0', 5770), 'recorder.lan:5770')).toBe(true);
    const named = buildHostPolicy('0.0.0.0', 5770, ['recorder.company.com:443', 'recorder.lan']);
    expect(hostAllowed(named, 'recorder.company.com:443')).toBe(true);
    expect(hostAllowed(named, 'recorder.lan:5770')).toBe(true);
    expect(hostAllowed(named, 'other:5770')).toBe(false);
  });

  it('accepts same-origin browser requests and non-browser clients only', () => {
    expect(originAllowed(undefined, '127.0.0.1:5770')).toBe(true);
    expect(originAllowed('http://127.0.0.1:5770', '127.0.0.1:5770')).toBe(true);
    expect(originAllowed('http://evil.example', '127.0.0.1:5770')).toBe(false);
    expect(originAllowed('null', '127.0.0.1:5770')).toBe(false);
  });
});

describe('canonical request targets', () => {
  it('accepts plain paths, any query and escapes that change nothing', () => {
    for (const target of ['/', '/api/v1/recorder/sessions', '/api/v1/recorder/x/entries?q=%2e%2e/a//b;c', '/ui/recorder/', '/api/v1/recorder/a%20b', '/a/%C3%A9']) {
      expect(nonCanonicalTarget(target), target).toBeUndefined();
    }
  });

  it('names what is wrong with every second spelling of a path', () => {
    const cases: Array<[string, RegExp]> = [
      ['http://127.0.0.1:5770/api/v1/health', /absolute-form/],
      ['*', /absolute-form/],
      ['/%61pi/v1', /escapes "a" \(%61\)/],
      ['/api/%7Ex', /escapes "~"/],
      ['/api/a%2fb', /escaped "\/"/],
      ['/api/a%5Cb', /escaped "\\"/],
      ['/api/%2561', /escaped "%"/],
      ['/api/%3Bx', /escaped ";"/],
      ['/api/%00', /control character/],
      ['/api/%0a', /control character/],
      ['/api/%4', /malformed percent-escape/],
      ['/api/%g0', /malformed percent-escape/],
      ['//api/v1', /empty segment/],
      ['/api/./v1', /dot segment/],
      ['/api/v1/..', /dot segment/],
      ['/api\\v1', /contains "\\\\"/],
      ['/api;v=1', /contains ";"/],
      ['/api#x', /contains "#"/],
      ['/api v1', /contains " "/],
      ['/api/\u00e9', /contains "\u00e9"/],
    ];
    for (const [target, message] of cases) expect(nonCanonicalTarget(target), target).toMatch(message);
  });

  it('treats only the UI shell and the health check as public routes', () => {
    for (const route of ['/', '/ui/recorder', '/ui/recorder/', '/ui/recorder/*', '/ui/recorder/assets/app.js', '/api/v1/health']) {
      expect(isPublicRoute(route), route).toBe(true);
    }
    for (const route of [undefined, '/*', '/api/v1/recorder/:id', '/api/v1/health/*', '/ui/recorderx', '/api/v1/recorder/:id/ws']) {
      expect(isPublicRoute(route), String(route)).toBe(false);
    }
  });
});

describe('upstream failures in words', () => {
  it('maps error codes to plain explanations', () => {
    expect(explainUpstreamError('ENOTFOUND').message).toMatch(/did not resolve/);
    expect(explainUpstreamError('EAI_AGAIN').message).toMatch(/did not resolve/);
    expect(explainUpstreamError('ECONNREFUSED').message).toMatch(/refused/);
    expect(explainUpstreamError('ETIMEDOUT', 'no answer within 5 ms').message).toBe('the upstream did not answer in time: no answer within 5 ms');
    expect(explainUpstreamError('DEPTH_ZERO_SELF_SIGNED_CERT').message).toMatch(/TLS/);
    expect(explainUpstreamError('ERR_SSL_WRONG_VERSION_NUMBER').message).toMatch(/TLS/);
    expect(explainUpstreamError('EWHATEVER').message).toBe('the upstream request failed');
    expect(upstreamErrorCode(['x', 'passthrough-error:ECONNRESET'])).toBe('ECONNRESET');
    expect(upstreamErrorCode(['passthrough-error:mockttp-abort'])).toBeUndefined();
    expect(upstreamErrorCode(undefined)).toBeUndefined();
  });
});
