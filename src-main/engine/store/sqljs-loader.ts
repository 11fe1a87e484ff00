import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

let loading: Promise<SqlJsStatic> | undefined;

/** Compiling the WASM module takes tens of milliseconds; every store in the process shares one instance. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  loading ??= initSqlJs().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
