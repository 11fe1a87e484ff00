/**
 * Headers for recorded body bytes served from the API's own origin. A recorded HTML or SVG page must never run
 * as one of our pages: it is sandboxed (a unique origin, no scripts), never sniffed into something else, and
 * downloaded rather than shown, unless the caller asks for an image that cannot carry script.
 */
export function recordedBodyHeaders(contentType: string | undefined, wantInline: boolean): Record<string, string> {
  const inline = wantInline && inlineSafe(contentType);
  return {
    'content-type': contentType ?? 'application/octet-stream',
    'content-security-policy': 'sandbox',
    'x-content-type-options': 'nosniff',
    'content-disposition': inline ? 'inline' : 'attachment',
  };
}

/** Raster images only: SVG (and anything XML-based) can carry script and links. */
export function inlineSafe(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return /^image\/[a-z0-9.+-]+$/.test(mediaType) && !mediaType.includes('svg') && !mediaType.includes('xml');
}
