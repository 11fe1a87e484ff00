/// <reference lib="webworker" />
// Formatting a multi-megabyte body takes long enough to drop frames; here it blocks nobody.
import { prettyPrint } from './pretty-print.js';
import type { BodyLanguage } from './pretty-print.js';

interface FormatRequest {
  id: number;
  text: string;
  language: BodyLanguage;
}

self.onmessage = (event: MessageEvent<FormatRequest>) => {
  const { id, text, language } = event.data;
  let result = text;
  try {
    result = prettyPrint(text, language);
  } catch {
    // Unformattable input is shown as captured.
  }
  (self as unknown as Worker).postMessage({ id, text: result });
};
