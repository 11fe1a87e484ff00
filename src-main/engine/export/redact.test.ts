import { describe, expect, it } from 'vitest';
import { Redactor } from './redact.js';
import type { Entry } from '../../../src-shared/model.js';

const entry = (reqHeaders: [string, string][], resHeaders: [string, string][] = []) =>
  ({ request: { headers: reqHeaders }, response: { headers: resHeaders } }) as unknown as Entry;

describe('Redactor', () => {
  it('replaces secret headers with named placeholders and scrubs their values elsewhere', () => {
    const r = new Redactor();
    r.learn(entry([['Authorization', 'Bearer tok_abcdef123'], ['Cookie', 'sid=sess-98765; theme=dark']], [['Set-Cookie', 'sid=new-session-1; Path=/']]));
    expect(r.header('Authorization', 'Bearer tok_abcdef123')).toBe('{{authorization}}');
    expect(r.header('X-Trace', 'x')).toBe('x');
    expect(r.url('http://h/cb?next=tok_abcdef123&page=2')).toBe('http://h/cb?next={{authorization}}&page=2');
    expect(r.bodyText('session was new-session-1', 'text/plain')).toBe('session was {{cookie_sid}}');
    expect(r.variables()).toEqual(['authorization', 'cookie_sid']);
  });

  it('redacts JSON and form fields by name, case and separators ignored, and learns their values', () => {
    const r = new Redactor({ redactFields: ['ssn'] });
    const json = r.bodyText('{"user":"ann","Password":"hunter22","nested":[{"access-token":"at-777777"}],"SSN":"123-45-6789"}', 'application/json');
    expect(JSON.parse(json)).toEqual({ user: 'ann', Password: '{{password}}', nested: [{ 'access-token': '{{access_token}}' }], SSN: '{{ssn}}' });
    expect(r.bodyText('grant=at-777777', 'text/plain')).toBe('grant={{access_token}}');
    expect(r.formText('user=ann&password=s3cr3t%21pw')).toBe('user=ann&password={{password}}');
    expect(r.url('http://h/x?api_key=k-123456&q=1')).toBe('http://h/x?api_key={{api_key}}&q=1');
  });

  it('keeps everything with keepSecrets, and configured header names are redacted too', () => {
    const keep = new Redactor({ keepSecrets: true });
    expect(keep.header('Authorization', 'Bearer a')).toBe('Bearer a');
    expect(keep.bodyText('{"password":"x"}', 'application/json')).toBe('{"password":"x"}');
    const custom = new Redactor({ redactHeaders: ['X-Tenant-Key'] });
    expect(custom.header('x-tenant-key', 'tenant-secret')).toBe('{{x_tenant_key}}');
  });

  it('leaves text that is not JSON alone when its type says JSON, and short values are not scrubbed by value', () => {
    const r = new Redactor();
    r.learn(entry([['Authorization', 'abc']]));
    expect(r.bodyText('{not json abc', 'application/json')).toBe('{not json abc');
  });
});
