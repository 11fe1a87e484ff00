/** The entries table's pure rules: row geometry, the sort cycle, column widths as CSS variables, keyboard moves. */
import type { CSSProperties } from 'react';
import type { SortColumn, SortState } from '../../stores/ui-store.js';

/** Fixed: the virtualizer then needs no per-row measurement, and offsets are index × height. */
export const ROW_HEIGHT = 26;
export const MIN_COLUMN = 40;
export const MAX_COLUMN = 1200;

/** A header click: none → ascending → descending → none (arrival order); another column starts ascending. */
export function nextSort(sort: SortState | null, column: SortColumn): SortState | null {
  if (!sort || sort.column !== column) return { column, desc: false };
  if (!sort.desc) return { column, desc: true };
  return null;
}

/** `--col-<id>` per column and `--table-width`: a resize restyles the table, not every row. */
export function columnWidthVars(columns: readonly { id: string; size: number }[]): CSSProperties {
  const vars: Record<string, string> = {};
  let total = 0;
  for (const { id, size } of columns) {
    vars[`--col-${id}`] = `${size}px`;
    total += size;
  }
  vars['--table-width'] = `${total}px`;
  return vars;
}

/** Arrow keys on a column's resize handle: 16 px a step (64 with Shift), kept within bounds; other keys: undefined. */
export function keyedColumnSize(key: string, shift: boolean, size: number): number | undefined {
  const step = shift ? 64 : 16;
  const next = key === 'ArrowLeft' ? size - step : key === 'ArrowRight' ? size + step : undefined;
  return next === undefined ? undefined : Math.max(MIN_COLUMN, Math.min(MAX_COLUMN, next));
}

export type SelectionMove = number | 'home' | 'end';

/**
 * The row index a keyboard move lands on, or undefined in an empty table. Without a selection (or with one that
 * is filtered out) a move down starts at the top and a move up at the bottom.
 */
export function movedIndex(count: number, current: number, move: SelectionMove): number | undefined {
  if (count === 0) return undefined;
  const next = move === 'home' ? 0 : move === 'end' ? count - 1 : current === -1 ? (move > 0 ? 0 : count - 1) : current + move;
  return Math.max(0, Math.min(count - 1, next));
}
