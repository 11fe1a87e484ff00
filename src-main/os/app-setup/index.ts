export { proxyEnvironment, formatEnvironment, environmentScripts } from './env-block.js';
export type { ProxyEnvInput, ShellKind } from './env-block.js';
export { chromiumArgs, createIsolatedProfileDir, chromiumExecutableCandidates } from './browser-launch.js';
export type { ChromiumLaunchInput } from './browser-launch.js';
export { spkiSha256Pin } from '../../engine/ca/pem.js';
