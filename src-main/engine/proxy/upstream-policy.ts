import { isLoopbackHost } from './addresses.js';

/**
 * Which upstream hosts a recorder may contact. The product allows any; the test suite (and anyone who wants an
 * offline recorder) restricts it to this machine, so that a browser's background chatter through a session can
 * never make the proxy resolve or contact an outside name.
 */
export type UpstreamPolicy = (host: string) => boolean;

export const allowAnyUpstream: UpstreamPolicy = () => true;

/** localhost, *.localhost and loopback addresses only: checked on the name, before any DNS lookup. */
export const loopbackOnly: UpstreamPolicy = isLoopbackHost;
