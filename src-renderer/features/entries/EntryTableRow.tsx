import { memo } from 'react';
import { COLUMNS, statusClass } from './columns.js';
import type { EntryRow } from './entry-row.js';
import { ROW_HEIGHT } from './table-model.js';

interface EntryTableRowProps {
  row: EntryRow;
  index: number;
  selected: boolean;
  onClick: (id: string, index: number) => void;
}

/** One row, placed by its index; re-rendered only when its summary or its selection changes. */
export const EntryTableRow = memo(function EntryTableRow({ row, index, selected, onClick }: EntryTableRowProps) {
  return (
    <div
      role="row"
      className={`row ${statusClass(row)}${selected ? ' selected' : ''}`}
      style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }}
      data-testid="entry-row"
      data-entry-id={row.id}
      data-selected={selected}
      aria-selected={selected}
      onClick={() => onClick(row.id, index)}
    >
      {COLUMNS.map((c) => (
        <div key={c.id} role="cell" className={`cell cell-${c.id}${c.align ? ' right' : ''}`} style={{ width: `var(--col-${c.id})` }}>
          {c.cell(row)}
        </div>
      ))}
    </div>
  );
});
