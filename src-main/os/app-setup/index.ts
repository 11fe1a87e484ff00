export { proxyEnvironment, formatEnvironment, environmentScripts } from './env-block.js';
export type { ProxyEnvInput, ShellKind } from './env-block.js';
export { BrowserLauncher, chromiumArgs, createIsolatedProfileDir, chromiumExecutableCandidates } from './browser-launch.js';
export type { BrowserLauncherOptions, ChromiumLaunchInput, LaunchedBrowser } from './browser-launch.js';
export { spkiSha256Pin } from '../../engine/ca/pem.js';
