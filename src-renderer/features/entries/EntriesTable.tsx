/**
 * The live table. @tanstack/react-table (v8) owns the column model: sizes, resizing and sort state; rows
 * are not handed to it (its row model would rebuild 100k row objects per batch). @tanstack/react-virtual
 * renders only the rows in view, at a fixed height, keyed by entry id; column widths are CSS variables so
 * a resize drag does not re-render the rows.
 */
import { getCoreRowModel, useReactTable } from '@tanstack/react-table';
import type { ColumnDef, ColumnSizingState, SortingState } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useMemo, useState } from 'react';
import { useTrafficStore } from '../../stores/traffic-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { COLUMNS } from './columns.js';
import type { EntryRow } from './entry-row.js';
import { EntryTableRow } from './EntryTableRow.js';
import { columnWidthVars, MIN_COLUMN, ROW_HEIGHT } from './table-model.js';
import { TableHeader } from './TableHeader.js';
import { useScrollAnchor } from './use-scroll-anchor.js';
import { useTableKeys } from './use-table-keys.js';
import './table-polish.css';

const NO_DATA: EntryRow[] = [];

const columnDefs: ColumnDef<EntryRow>[] = COLUMNS.map((c) => ({
  id: c.id,
  header: c.header,
  size: c.size,
  minSize: MIN_COLUMN,
  accessorFn: (r: EntryRow) => r[c.id as keyof EntryRow],
}));

export function EntriesTable({ visible }: { visible: string[] }) {
  const byId = useTrafficStore((s) => s.byId);
  useTrafficStore((s) => s.version); // byId is mutated in place: re-render on every applied batch
  const sort = useUiStore((s) => s.sort);
  const setSort = useUiStore((s) => s.setSort);
  const selectedId = useUiStore((s) => s.selectedEntryId);
  const selectEntry = useUiStore((s) => s.selectEntry);
  const [sizing, setSizing] = useState<ColumnSizingState>({});

  const sorting: SortingState = useMemo(() => (sort ? [{ id: sort.column, desc: sort.desc }] : []), [sort]);
  const table = useReactTable({
    data: NO_DATA,
    columns: columnDefs,
    getCoreRowModel: getCoreRowModel(),
    columnResizeMode: 'onChange',
    manualSorting: true,
    state: { columnSizing: sizing, sorting },
    onColumnSizingChange: setSizing,
  });
  const headers = table.getHeaderGroups()[0]?.headers ?? [];
  const widthVars = columnWidthVars(headers.map((h) => ({ id: h.column.id, size: h.getSize() })));

  const { scroller, onScroll, stopFollowing } = useScrollAnchor(visible, sort);
  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    // Rows are keyed by entry id in React; the virtualizer's own keys stay indexes because a fixed row height
    // needs no per-item measurement, and an id key function would re-measure 100k rows on every batch.
  });
  const onKeyDown = useTableKeys({ visible, scroller, stopFollowing, scrollToIndex: (index) => virtualizer.scrollToIndex(index, { align: 'auto' }) });
  const onRowClick = useCallback((id: string) => selectEntry(id, true), [selectEntry]);

  return (
    <div className="table" style={widthVars} data-testid="entries-table" role="table" aria-rowcount={visible.length}>
      <TableHeader headers={headers} sort={sort} setSort={setSort} setSizing={setSizing} />
      <div ref={scroller} className="tbody-scroll" tabIndex={0} onScroll={onScroll} onKeyDown={onKeyDown} data-testid="entries-scroll">
        <div className="tbody" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const id = visible[item.index];
            const row = id ? byId.get(id) : undefined;
            if (!row) return null;
            return <EntryTableRow key={row.id} row={row} index={item.index} selected={row.id === selectedId} onClick={onRowClick} />;
          })}
        </div>
      </div>
    </div>
  );
}
