import { ApiError, type ApiErrorBody } from '../../../src-shared/errors.js';
import type { BodyInfo } from '../../../src-shared/model.js';

/**
 * A recorded body whose bytes are gone (lost in a crash, or dropped while storage was failing): 410, never an
 * empty 200 that would pass for an empty body. Shaped like every API error, with `reason` added.
 */
export class BodyGoneError extends ApiError {
  constructor(
    message: string,
    readonly reason: 'body_lost' | 'body_dropped',
  ) {
    super('gone', message);
  }

  override toBody(): ApiErrorBody & { reason: string } {
    return { ...super.toBody(), reason: this.reason };
  }
}

/** The error for a body that has no bytes to serve, if that is because they are gone. */
export function bodyGone(info: BodyInfo | undefined, side: string, entryId: string): BodyGoneError | undefined {
  if (info?.lost) return new BodyGoneError(`the ${side} body of entry ${entryId} was lost (its file is missing or short)`, 'body_lost');
  if (info?.dropped) {
    return new BodyGoneError(`the ${side} body of entry ${entryId} was not saved: ${info.droppedReason ?? 'storage was failing'}`, 'body_dropped');
  }
  return undefined;
}
