import { describe, expect, it } from 'vitest';
import { loopbackOnly } from './upstream-policy.js';

describe('loopbackOnly', () => {
  it('allows this machine and nothing else, judged on the name alone', () => {
    for (const host of ['localhost', 'LOCALHOST', 'h1.localhost', '127.0.0.1', '127.9.8.7', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(loopbackOnly(host), host).toBe(true);
    }
    for (const host of ['example.com', 'accounts.google.com', '10.0.0.1', '192.168.1.1', '8.8.8.8', '::2', 'localhost.example.com', '']) {
      expect(loopbackOnly(host), host).toBe(false);
    }
  });
});
