/**
 * The sandboxed preload. Sandboxed preloads run as a single CommonJS script with a `require` that knows only
 * `electron` and a few built-ins, so this file is bundled (esbuild, `npm run build:preload`) into
 * `dist/src-preload/preload.cjs`; the window loads that file, never tsc's ESM output.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_KEY } from '../src-shared/desktop-bridge.js';
import { buildBridge } from './bridge.js';

contextBridge.exposeInMainWorld(BRIDGE_KEY, buildBridge(ipcRenderer));
