/** The new-session form as plain data, and its conversion to and from the full JSON configuration. */
import type { StartSessionInput } from '../../../src-shared/schemas.js';

export interface SessionForm {
  name: string;
  mode: 'reverse' | 'forward';
  targetUrl: string;
  listenPort: string;
  namespace: string;
}

export const EMPTY_FORM: SessionForm = { name: '', mode: 'reverse', targetUrl: '', listenPort: '', namespace: 'default' };

export function validateTargetUrl(value: string, mode: SessionForm['mode']): string | null {
  if (!value.trim()) return mode === 'reverse' ? 'A reverse-proxy session needs a target URL' : null;
  try {
    const url = new URL(value.trim());
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) return 'Use an absolute http:// or https:// URL';
    return null;
  } catch {
    return 'Use an absolute http:// or https:// URL';
  }
}

export function validatePort(value: string): string | null {
  if (!value.trim()) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) return 'A port is a whole number from 1 to 65535 (blank = auto)';
  return null;
}

export function formToInput(form: SessionForm, extra: Record<string, unknown> = {}): StartSessionInput {
  const input: Record<string, unknown> = { ...extra };
  const set = (key: string, value: unknown) => {
    if (value === undefined || value === '') delete input[key];
    else input[key] = value;
  };
  set('name', form.name.trim());
  input.mode = form.mode;
  set('targetUrl', form.mode === 'reverse' || form.targetUrl.trim() ? form.targetUrl.trim() : undefined);
  set('listenPort', form.listenPort.trim() ? Number(form.listenPort) : undefined);
  if (input.listenPort !== undefined) delete input.port;
  set('namespace', form.namespace.trim());
  return input as StartSessionInput;
}

export function inputToForm(input: Record<string, unknown>): SessionForm {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const port = input.listenPort ?? input.port;
  return {
    name: str(input.name),
    mode: input.mode === 'forward' ? 'forward' : 'reverse',
    targetUrl: str(input.targetUrl),
    listenPort: typeof port === 'number' && port > 0 ? String(port) : '',
    namespace: str(input.namespace) || 'default',
  };
}
