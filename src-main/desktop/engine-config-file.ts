/**
 * The desktop's engine settings: `engine-config.json` in its data dir, read through the one engine configuration
 * schema (src-shared/engine-config.ts; the README lists every option). Absent: the defaults. Unreadable or invalid:
 * one warning naming the file and the field, and the defaults — a typo in a settings file never keeps the app from
 * starting. The main process reads it and hands the result to the engine utility process on its command line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultEngineConfig, parseEngineConfig, type EngineConfig } from '../../src-shared/engine-config.js';

export const ENGINE_CONFIG_FILE = 'engine-config.json';

/** How the main process hands the engine process its configuration (an argv entry: base64url of the JSON). */
export const ENGINE_CONFIG_FLAG = '--engine-config=';

const FALLBACK = 'the engine starts with the default settings';

export function readEngineConfigFile(dataDir: string, warn: (message: string) => void = console.warn): EngineConfig {
  const file = path.join(dataDir, ENGINE_CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`Traffic Recorder: cannot read ${file} (${(e as Error).message}); ${FALLBACK}`);
    return defaultEngineConfig();
  }
  let config: EngineConfig;
  try {
    config = parseEngineConfig(parseJson(text), ENGINE_CONFIG_FILE);
  } catch (e) {
    warn(`Traffic Recorder: ${file}: ${(e as Error).message}; ${FALLBACK}`);
    return defaultEngineConfig();
  }
  if (config.proxyWorkers !== 'auto' && config.proxyWorkers !== 0) {
    warn(`Traffic Recorder: ${file}: proxyWorkers is a \`serve\` option; the desktop runs session proxies in its engine process`);
  }
  return config;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
}

export function engineConfigArg(config: EngineConfig): string {
  return `${ENGINE_CONFIG_FLAG}${Buffer.from(JSON.stringify(config)).toString('base64url')}`;
}

/** The configuration the main process passed; the defaults when it passed none. Throws on a damaged one. */
export function engineConfigFromArgs(argv: readonly string[]): EngineConfig {
  const arg = argv.find((a) => a.startsWith(ENGINE_CONFIG_FLAG));
  if (arg === undefined) return defaultEngineConfig();
  const json = Buffer.from(arg.slice(ENGINE_CONFIG_FLAG.length), 'base64url').toString('utf8');
  return parseEngineConfig(parseJson(json), 'engine configuration from the main process');
}
