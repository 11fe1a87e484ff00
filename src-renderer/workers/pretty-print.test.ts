import { describe, expect, it } from 'vitest';
import { languageOf, prettyPrint } from './pretty-print.js';

describe('prettyPrint', () => {
  it('indents JSON and leaves invalid JSON alone', () => {
    expect(prettyPrint('{"a":[1,2]}', 'json')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(prettyPrint('{oops', 'json')).toBe('{oops');
  });
  it('indents XML with text kept on the element line', () => {
    expect(prettyPrint('<?xml version="1.0"?><a><b>x</b><c/></a>', 'xml')).toBe('<?xml version="1.0"?>\n<a>\n  <b>x</b>\n  <c/>\n</a>');
  });
  it('handles HTML void elements and keeps script content', () => {
    const out = prettyPrint('<html><body><br><p>Hi</p><script>if (a<b) x()</script></body></html>', 'html');
    expect(out).toBe('<html>\n  <body>\n    <br>\n    <p>Hi</p>\n    <script>if (a<b) x()</script>\n  </body>\n</html>');
  });
  it('keeps multi-line script text verbatim', () => {
    expect(prettyPrint('<div><script>\nconst a = 1;\nif (a<2) go();\n</script></div>', 'html'))
      .toBe('<div>\n  <script>\nconst a = 1;\nif (a<2) go();\n  </script>\n</div>');
  });
  it('guesses a language from content type or content', () => {
    expect(languageOf('application/problem+json', '')).toBe('json');
    expect(languageOf('text/html; charset=utf-8', '')).toBe('html');
    expect(languageOf(undefined, '  [1]')).toBe('json');
    expect(languageOf(undefined, '<?xml version="1.0"?>')).toBe('xml');
    expect(languageOf('text/plain', 'hello')).toBe('plaintext');
  });
});
