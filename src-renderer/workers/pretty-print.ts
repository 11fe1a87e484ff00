/**
 * Body pretty-printers for JSON, XML and HTML. Pure and dependency-free so they run the same in the
 * format worker (large bodies) and on the main thread (small ones), and in unit tests.
 */
export type BodyLanguage = 'json' | 'xml' | 'html' | 'javascript' | 'css' | 'plaintext';

export function languageOf(contentType: string | undefined, text: string): BodyLanguage {
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('json')) return 'json';
  if (ct.includes('html')) return 'html';
  if (ct.includes('xml') || ct.includes('soap')) return 'xml';
  if (ct.includes('javascript')) return 'javascript';
  if (ct.includes('css')) return 'css';
  const head = text.trimStart().slice(0, 100).toLowerCase();
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'html';
  if (head.startsWith('<?xml') || head.startsWith('<')) return 'xml';
  return 'plaintext';
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text; // Invalid JSON stays exactly as captured.
  }
}

const VOID_HTML = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const RAW_HTML = new Set(['script', 'style', 'pre', 'textarea']);

/** Re-indent markup: one tag or text run per line. Keeps script/style/pre content untouched. */
function prettyMarkup(text: string, html: boolean): string {
  const tokenRe = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[^>]+>|[^<]+|</g;
  const out: string[] = [];
  let depth = 0;
  const pad = () => '  '.repeat(depth);
  let match: RegExpExecArray | null;
  while ((match = tokenRe.exec(text)) !== null) {
    const token = match[0];
    if (token.startsWith('<') && token.length > 1) {
      const name = /^<\/?\s*([\w:-]+)/.exec(token)?.[1]?.toLowerCase() ?? '';
      if (token.startsWith('</')) {
        depth = Math.max(0, depth - 1);
        out.push(pad() + token);
      } else if (token.startsWith('<!') || token.startsWith('<?') || token.endsWith('/>') || (html && VOID_HTML.has(name))) {
        out.push(pad() + token);
      } else {
        out.push(pad() + token);
        depth++;
        if (html && RAW_HTML.has(name)) {
          // Script and style text may hold "<": take everything up to the closing tag verbatim.
          const close = text.toLowerCase().indexOf(`</${name}`, tokenRe.lastIndex);
          const stop = close === -1 ? text.length : close;
          const raw = text.slice(tokenRe.lastIndex, stop);
          if (raw.trim()) out.push(raw.replace(/^\n+|\s+$/g, ''));
          tokenRe.lastIndex = stop;
        }
      }
    } else {
      const trimmed = token.trim();
      if (trimmed) out.push(pad() + trimmed.replace(/\s*\n\s*/g, ' '));
    }
  }
  // Collapse `<a>text</a>` that ended up on three lines back onto one.
  const collapsed: string[] = [];
  for (let i = 0; i < out.length; i++) {
    const open = out[i] as string;
    const textLine = out[i + 1];
    const close = out[i + 2];
    if (textLine !== undefined && close !== undefined && /^\s*<[^/!?][^>]*[^/]>$|^\s*<[^/!?]>$/.test(open) && !textLine.includes('\n') && !textLine.trim().startsWith('<') && close.trim().startsWith('</')) {
      collapsed.push(open + textLine.trim() + close.trim());
      i += 2;
    } else {
      collapsed.push(open);
    }
  }
  return collapsed.join('\n');
}

export function prettyPrint(text: string, language: BodyLanguage): string {
  switch (language) {
    case 'json':
      return prettyJson(text);
    case 'xml':
      return prettyMarkup(text, false);
    case 'html':
      return prettyMarkup(text, true);
    case 'javascript':
    case 'css':
    case 'plaintext':
      return text;
    default: {
      const never: never = language;
      return String(never);
    }
  }
}
