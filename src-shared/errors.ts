/**
 * Errors cross every boundary (REST, IPC, CLI) as values: a stable code, a message for people and,
 * where one input field is at fault, its path. Electron keeps only `message` of a thrown error, so the
 * code travels explicitly.
 */
export type ApiErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  /** It existed, and its bytes are gone for good (a body lost in a crash or dropped while storage failed). */
  | 'gone'
  | 'conflict'
  | 'limit_reached'
  | 'not_supported'
  /** The machine's storage refused a write or read (read-only, full, wrong file type): not a bug of ours. */
  | 'storage_failed'
  /** A program we started (a browser) failed on its own. */
  | 'launch_failed'
  | 'internal';

export interface ApiErrorBody {
  error: string;
  code: ApiErrorCode;
  field?: string;
}

export const HTTP_STATUS_FOR_CODE: Record<ApiErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  gone: 410,
  conflict: 409,
  limit_reached: 429,
  not_supported: 400,
  storage_failed: 507,
  launch_failed: 502,
  internal: 500,
};

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return HTTP_STATUS_FOR_CODE[this.code];
  }

  toBody(): ApiErrorBody {
    return this.field === undefined
      ? { error: this.message, code: this.code }
      : { error: this.message, code: this.code, field: this.field };
  }
}

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as ApiErrorBody).error === 'string';
}
