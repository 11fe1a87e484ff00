import type { ColumnSizingState, Header } from '@tanstack/react-table';
import type { Dispatch, SetStateAction } from 'react';
import type { SortColumn, SortState } from '../../stores/ui-store.js';
import type { EntryRow } from './entry-row.js';
import { keyedColumnSize, nextSort } from './table-model.js';

interface TableHeaderProps {
  headers: Header<EntryRow, unknown>[];
  sort: SortState | null;
  setSort: (sort: SortState | null) => void;
  setSizing: Dispatch<SetStateAction<ColumnSizingState>>;
}

/** Column headers: a click sorts (see nextSort), each edge resizes by drag, double-click (reset) or arrow keys. */
export function TableHeader({ headers, sort, setSort, setSizing }: TableHeaderProps) {
  return (
    <div className="thead" role="row">
      {headers.map((h) => (
        <ColumnHeader key={h.id} header={h} sort={sort} setSort={setSort} setSizing={setSizing} />
      ))}
    </div>
  );
}

function ColumnHeader({ header: h, sort, setSort, setSizing }: Omit<TableHeaderProps, 'headers'> & { header: Header<EntryRow, unknown> }) {
  const id = h.column.id as SortColumn;
  const sorted = sort?.column === id ? (sort.desc ? 'desc' : 'asc') : undefined;
  const label = String(h.column.columnDef.header);
  return (
    <div
      role="columnheader"
      className={`th${sorted ? ' sorted' : ''}`}
      style={{ width: `var(--col-${id})` }}
      data-testid={`col-${id}`}
      aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
    >
      <button type="button" className="th-button" onClick={() => setSort(nextSort(sort, id))}>
        {label}
        <span className="sort-mark">{sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : ''}</span>
      </button>
      <div
        className={`resizer${h.column.getIsResizing() ? ' resizing' : ''}`}
        data-testid={`col-resize-${id}`}
        role="separator"
        aria-orientation="vertical"
        aria-label={`Resize the ${label} column (arrow keys)`}
        aria-valuenow={h.getSize()}
        tabIndex={0}
        onKeyDown={(e) => {
          const size = keyedColumnSize(e.key, e.shiftKey, h.getSize());
          if (size === undefined) return;
          e.preventDefault();
          setSizing((s) => ({ ...s, [id]: size }));
        }}
        onMouseDown={h.getResizeHandler()}
        onTouchStart={h.getResizeHandler()}
        onDoubleClick={() => h.column.resetSize()}
      />
    </div>
  );
}
