import { describe, expect, it } from 'vitest';
import { columnWidthVars, keyedColumnSize, movedIndex, nextSort } from './table-model.js';

describe('entries table rules', () => {
  it('cycles a column through ascending, descending and arrival order', () => {
    expect(nextSort(null, 'status')).toEqual({ column: 'status', desc: false });
    expect(nextSort({ column: 'status', desc: false }, 'status')).toEqual({ column: 'status', desc: true });
    expect(nextSort({ column: 'status', desc: true }, 'status')).toBeNull();
    expect(nextSort({ column: 'status', desc: true }, 'host')).toEqual({ column: 'host', desc: false });
  });

  it('puts each column width and the total in CSS variables', () => {
    expect(columnWidthVars([{ id: 'time', size: 100 }, { id: 'url', size: 250 }])).toEqual({
      '--col-time': '100px', '--col-url': '250px', '--table-width': '350px',
    });
  });

  it('resizes a column from the keyboard within bounds', () => {
    expect(keyedColumnSize('ArrowRight', false, 100)).toBe(116);
    expect(keyedColumnSize('ArrowLeft', true, 100)).toBe(40);
    expect(keyedColumnSize('ArrowRight', true, 1190)).toBe(1200);
    expect(keyedColumnSize('Enter', false, 100)).toBeUndefined();
  });

  it('moves the selection by rows, pages and to the ends, clamped', () => {
    expect(movedIndex(0, -1, 1)).toBeUndefined();
    expect(movedIndex(10, -1, 1)).toBe(0);
    expect(movedIndex(10, -1, -1)).toBe(9);
    expect(movedIndex(10, 3, 1)).toBe(4);
    expect(movedIndex(10, 3, -20)).toBe(0);
    expect(movedIndex(10, 8, 20)).toBe(9);
    expect(movedIndex(10, 5, 'home')).toBe(0);
    expect(movedIndex(10, 5, 'end')).toBe(9);
  });
});
