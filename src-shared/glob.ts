/**
 * The one glob matcher of the product (scope filters, MITM host lists, the UI's filter bar). Pure: it imports
 * nothing, so both the engine and the renderer use it.
 *
 * Semantics: `*` matches any run of characters, `/` and `.` included (`/v1/*` takes everything below `/v1/`, as
 * Charles's location patterns do; `*.example.com` takes every depth of subdomain); `**` is the same as `*` (older
 * configurations used it to cross `/`); `?` matches exactly one character; everything else is literal. The whole
 * text must match.
 *
 * Why not regexes: a pattern such as `/*a*a*a*a*b` turns into nested `.*` that backtrack polynomially, and one
 * 250-character path froze the server for over a minute. Here the pattern is split at its stars into literal
 * segments; the first must be a prefix, the last a suffix, and each one between is taken at its leftmost place
 * after the previous one (leftmost is always safe: it leaves the most text for what follows). Nothing is ever
 * retried, so a match costs at most O(text × pattern) and usually O(text + pattern).
 */

export interface GlobOptions {
  /** Hosts compare case-insensitively; paths do not. */
  caseInsensitive?: boolean;
}

export type GlobMatcher = (text: string) => boolean;

const QUESTION = 63; // '?'

/** True when the string uses a wildcard (`*` or `?`). */
export function hasWildcard(value: string): boolean {
  return value.includes('*') || value.includes('?');
}

/** Does `segment` (literal except `?`) match `text` at `at`? The caller has checked that it fits. */
function segmentAt(text: string, segment: string, at: number): boolean {
  for (let i = 0; i < segment.length; i++) {
    const p = segment.charCodeAt(i);
    if (p !== QUESTION && p !== text.charCodeAt(at + i)) return false;
  }
  return true;
}

/** Leftmost place in [from, end) where `segment` fits entirely, or -1. */
function findSegment(text: string, segment: string, from: number, end: number): number {
  if (!segment.includes('?')) {
    // indexOf is native and linear-time; only a hit that ends inside the window counts.
    const at = text.indexOf(segment, from);
    return at !== -1 && at + segment.length <= end ? at : -1;
  }
  for (let at = from; at + segment.length <= end; at++) {
    if (segmentAt(text, segment, at)) return at;
  }
  return -1;
}

interface CompiledGlob {
  /** Literal segments between stars (`?` kept as a one-character wildcard). */
  segments: string[];
  /** False when the pattern has no star: the only segment must then be the whole text. */
  starred: boolean;
  minLength: number;
}

function parse(pattern: string): CompiledGlob {
  const segments = pattern.split('*');
  // "a**b" gives an empty segment in the middle: a run of stars is one star.
  const merged = segments.filter((s, i) => s !== '' || i === 0 || i === segments.length - 1);
  return { segments: merged, starred: merged.length > 1, minLength: merged.reduce((n, s) => n + s.length, 0) };
}

function matchCompiled(glob: CompiledGlob, text: string): boolean {
  const { segments, starred } = glob;
  if (text.length < glob.minLength) return false;
  const first = segments[0] as string;
  if (!starred) return text.length === first.length && segmentAt(text, first, 0);
  const last = segments[segments.length - 1] as string;
  const end = text.length - last.length;
  if (!segmentAt(text, first, 0) || !segmentAt(text, last, end)) return false;
  let pos = first.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i] as string;
    const at = findSegment(text, segment, pos, end);
    if (at === -1) return false;
    pos = at + segment.length;
  }
  return true;
}

/** Compile one pattern once; the matcher is cheap to call on every request. */
export function compileGlob(pattern: string, options: GlobOptions = {}): GlobMatcher {
  const caseInsensitive = options.caseInsensitive === true;
  const glob = parse(caseInsensitive ? pattern.toLowerCase() : pattern);
  return caseInsensitive ? (text) => matchCompiled(glob, text.toLowerCase()) : (text) => matchCompiled(glob, text);
}

/** A matcher that accepts when any pattern matches; undefined for an empty list (no constraint). */
export function compileGlobs(patterns: readonly string[] | undefined, options: GlobOptions = {}): GlobMatcher | undefined {
  if (!patterns || patterns.length === 0) return undefined;
  const caseInsensitive = options.caseInsensitive === true;
  const globs = patterns.map((p) => parse(caseInsensitive ? p.toLowerCase() : p));
  return (text) => {
    const subject = caseInsensitive ? text.toLowerCase() : text;
    for (const glob of globs) if (matchCompiled(glob, subject)) return true;
    return false;
  };
}

export function matchGlob(pattern: string, text: string, options: GlobOptions = {}): boolean {
  return compileGlob(pattern, options)(text);
}
