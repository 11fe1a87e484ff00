import { describe, expect, it } from 'vitest';
import type { HeaderPair } from '../../../src-shared/model.js';
import { headerBytes, headersForWire, headersFromWire, headerText } from './header-text.js';

// Node's view of wire bytes: one Latin-1 character per byte.
const wire = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))).toString('latin1');

describe('header values as text', () => {
  it('leaves ASCII values alone, without raw values', () => {
    const headers: HeaderPair[] = [['A', '1'], ['B', 'two words']];
    const recorded = headersFromWire(headers);
    expect(recorded.headers).toBe(headers);
    expect(recorded.rawHeaderValues).toBeUndefined();
  });

  it('shows valid UTF-8 as text and keeps the exact bytes', () => {
    const value = wire('Zo', [0xc3, 0xab]);
    const recorded = headersFromWire([['Host', 'a'], ['X-Name', value]]);
    expect(recorded.headers).toEqual([['Host', 'a'], ['X-Name', 'Zoë']]);
    expect(Object.keys(recorded.rawHeaderValues!)).toEqual(['1']);
    expect(headerBytes(recorded, 1).equals(Buffer.from('Zoë', 'utf8'))).toBe(true);
    expect(headersForWire(recorded)[1]).toEqual(['X-Name', value]);
  });

  it('shows invalid UTF-8 one Latin-1 character per byte and keeps the exact bytes', () => {
    const value = wire('a', [0xff, 0xe9], 'b');
    const recorded = headersFromWire([['X-Bin', value]]);
    expect(recorded.headers[0]![1]).toBe('aÿéb');
    expect([...headerBytes(recorded, 0)]).toEqual([0x61, 0xff, 0xe9, 0x62]);
    expect(headersForWire(recorded)).toEqual([['X-Bin', value]]);
  });

  it('tells real UTF-8 text from look-alike mojibake by the raw bytes', () => {
    // The text "Ã«" sent as UTF-8 is four bytes; shown as Latin-1, the two bytes c3 ab would look the same.
    const utf8 = headersFromWire([['X', wire([0xc3, 0x83, 0xc2, 0xab])]]);
    const latin = headersFromWire([['X', wire([0xc3, 0xab, 0xff])]]);
    expect(utf8.headers[0]![1]).toBe('Ã«');
    expect(latin.headers[0]![1]).toBe('Ã«ÿ');
    expect([...headerBytes(utf8, 0)]).toEqual([0xc3, 0x83, 0xc2, 0xab]);
    expect([...headerBytes(latin, 0)]).toEqual([0xc3, 0xab, 0xff]);
  });

  it('reads headers recorded before raw values existed as their Latin-1 bytes', () => {
    expect([...headerBytes({ headers: [['X', 'é']] }, 0)]).toEqual([0xe9]);
    expect(headerText('plain')).toBe('plain');
  });
});
