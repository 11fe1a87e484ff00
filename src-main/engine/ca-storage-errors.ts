/**
 * CA failures as API errors: a data directory that cannot be written (read-only mount, full disk, a file where
 * the CA folder should be) is the machine's state, not a bug, so it gets a clear message and no stack trace.
 */
import { ApiError } from '../../src-shared/errors.js';
import { CaError, caPaths } from './ca/index.js';

const ERRNO_TEXT: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'part of the path is not a directory',
  EISDIR: 'a directory is in the way',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

/** The errno code somewhere in `e`'s cause chain. */
function errnoOf(e: unknown): string | undefined {
  for (let cause = e, depth = 0; cause && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

export function describeErrno(code: string | undefined, fallback: string): string {
  if (!code) return fallback;
  return ERRNO_TEXT[code] ? `${ERRNO_TEXT[code]} (${code})` : code;
}

/**
 * Turn a CA failure into an ApiError: a CaError, or a bare errno error from the file system while the CA was
 * being created or read (`action`). Anything else passes through unchanged.
 */
export function caErrorToApi(dataDir: string, e: unknown, action: 'write' | 'read' = 'write'): unknown {
  const dir = caPaths(dataDir).dir;
  if (!(e instanceof CaError)) {
    const code = errnoOf(e);
    if (!code || !ERRNO_TEXT[code]) return e;
    return storageError(dir, action, describeErrno(code, ''));
  }
  const reason = describeErrno(errnoOf(e.cause), e.message);
  switch (e.code) {
    case 'CA_IO':
      return storageError(dir, e.message.startsWith('Cannot read') ? 'read' : 'write', reason);
    case 'CA_CORRUPT':
    case 'CA_KEY_MISMATCH':
      return new ApiError('conflict', `${e.message}; move ${dir} aside to generate a new CA`);
    default:
      return new ApiError('conflict', e.message);
  }
}

function storageError(dir: string, action: 'write' | 'read', reason: string): ApiError {
  return new ApiError('storage_failed', action === 'write' ? `cannot write the CA to ${dir}: ${reason}` : `cannot read the CA from ${dir}: ${reason}`);
}
