/**
 * The live table. @tanstack/react-table (v8) owns the column model: sizes, resizing and sort state; rows
 * are not handed to it (its row model would rebuild 100k row objects per batch). @tanstack/react-virtual
 * renders only the rows in view, at a fixed height, keyed by entry id; column widths are CSS variables so
 * a resize drag does not re-render the rows.
 */
import { getCoreRowModel, useReactTable } from '@tanstack/react-table';
import type { ColumnDef, ColumnSizingState, SortingState } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { CSSProperties, KeyboardEvent } from 'react';
import { useTrafficStore } from '../../stores/traffic-store.js';
import type { SortColumn } from '../../stores/ui-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { COLUMNS, statusClass } from './columns.js';
import './table-polish.css';
import type { EntryRow } from './entry-row.js';

export const ROW_HEIGHT = 26;
const NO_DATA: EntryRow[] = [];

const columnDefs: ColumnDef<EntryRow>[] = COLUMNS.map((c) => ({
  id: c.id,
  header: c.header,
  size: c.size,
  minSize: 40,
  accessorFn: (r: EntryRow) => r[c.id as keyof EntryRow],
}));

const Row = memo(function Row({ row, index, selected, onClick }: { row: EntryRow; index: number; selected: boolean; onClick(id: string, index: number): void }) {
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

export function EntriesTable({ visible }: { visible: string[] }) {
  const byId = useTrafficStore((s) => s.byId);
  useTrafficStore((s) => s.version); // byId is mutated in place: re-render on every applied batch
  const sort = useUiStore((s) => s.sort);
  const setSort = useUiStore((s) => s.setSort);
  const selectedId = useUiStore((s) => s.selectedEntryId);
  const selectEntry = useUiStore((s) => s.selectEntry);
  const [sizing, setSizing] = useState<ColumnSizingState>({});
  const scroller = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const anchor = useRef<{ id: string; offset: number } | null>(null);

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
  const widthVars = useMemo(() => {
    const vars: Record<string, string> = {};
    let total = 0;
    for (const h of headers) {
      vars[`--col-${h.column.id}`] = `${h.getSize()}px`;
      total += h.getSize();
    }
    vars['--table-width'] = `${total}px`;
    return vars as CSSProperties;
  }, [sizing]);

  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    // Rows are keyed by entry id in React; the virtualizer's own keys stay indexes because a fixed row height
    // needs no per-item measurement, and an id key function would re-measure 100k rows on every batch.
  });

  // Keep what the user looks at still while rows arrive or are evicted: either follow the tail or pin the
  // first visible row to its pixel offset.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    // Following the tail only makes sense in arrival order, where the newest rows are at the bottom.
    if (follow.current && !sort) {
      // Computed, not read back from scrollHeight: reading it would force a layout inside this effect.
      const bottom = Math.max(0, visible.length * ROW_HEIGHT - el.clientHeight);
      if (el.scrollTop !== bottom) el.scrollTop = bottom;
      return;
    }
    const a = anchor.current;
    if (!a) return;
    const index = visible.indexOf(a.id);
    if (index === -1) return;
    const wanted = index * ROW_HEIGHT + a.offset;
    if (Math.abs(el.scrollTop - wanted) >= 1) el.scrollTop = wanted;
  }, [visible, sort]);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT;
    const first = Math.floor(el.scrollTop / ROW_HEIGHT);
    const id = visible[first];
    anchor.current = id ? { id, offset: el.scrollTop - first * ROW_HEIGHT } : null;
  }, [visible]);

  const onRowClick = useCallback((id: string) => selectEntry(id, true), [selectEntry]);

  const moveSelection = (delta: number | 'home' | 'end') => {
    if (visible.length === 0) return;
    const current = selectedId ? visible.indexOf(selectedId) : -1;
    let next = delta === 'home' ? 0 : delta === 'end' ? visible.length - 1 : current === -1 ? (delta > 0 ? 0 : visible.length - 1) : current + delta;
    next = Math.max(0, Math.min(visible.length - 1, next));
    const id = visible[next];
    if (id) {
      selectEntry(id);
      follow.current = false;
      virtualizer.scrollToIndex(next, { align: 'auto' });
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 300) / ROW_HEIGHT) - 1);
    switch (e.key) {
      case 'ArrowDown': moveSelection(1); break;
      case 'ArrowUp': moveSelection(-1); break;
      case 'PageDown': moveSelection(page); break;
      case 'PageUp': moveSelection(-page); break;
      case 'Home': moveSelection('home'); break;
      case 'End': moveSelection('end'); break;
      case 'Enter': if (selectedId) useUiStore.getState().setDetailOpen(true); break;
      case 'Escape': useUiStore.getState().setDetailOpen(false); break;
      default: return;
    }
    e.preventDefault();
  };

  const resizeByKey = (e: KeyboardEvent, column: string, size: number) => {
    const step = e.shiftKey ? 64 : 16;
    const next = e.key === 'ArrowLeft' ? size - step : e.key === 'ArrowRight' ? size + step : undefined;
    if (next === undefined) return;
    e.preventDefault();
    setSizing((s) => ({ ...s, [column]: Math.max(40, Math.min(1200, next)) }));
  };

  const toggleSort = (column: SortColumn) => {
    // none -> ascending -> descending -> none (arrival order)
    if (!sort || sort.column !== column) setSort({ column, desc: false });
    else if (!sort.desc) setSort({ column, desc: true });
    else setSort(null);
  };

  const items = virtualizer.getVirtualItems();
  return (
    <div className="table" style={widthVars} data-testid="entries-table" role="table" aria-rowcount={visible.length}>
      <div className="thead" role="row">
        {headers.map((h) => {
          const id = h.column.id as SortColumn;
          const sorted = sort?.column === id ? (sort.desc ? 'desc' : 'asc') : undefined;
          return (
            <div
              key={h.id}
              role="columnheader"
              className={`th${sorted ? ' sorted' : ''}`}
              style={{ width: `var(--col-${id})` }}
              data-testid={`col-${id}`}
              aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
            >
              <button type="button" className="th-button" onClick={() => toggleSort(id)}>
                {String(h.column.columnDef.header)}
                <span className="sort-mark">{sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : ''}</span>
              </button>
              <div
                className={`resizer${h.column.getIsResizing() ? ' resizing' : ''}`}
                data-testid={`col-resize-${id}`}
                role="separator"
                aria-orientation="vertical"
                aria-label={`Resize the ${String(h.column.columnDef.header)} column (arrow keys)`}
                aria-valuenow={h.getSize()}
                tabIndex={0}
                onKeyDown={(e) => resizeByKey(e, id, h.getSize())}
                onMouseDown={h.getResizeHandler()}
                onTouchStart={h.getResizeHandler()}
                onDoubleClick={() => h.column.resetSize()}
              />
            </div>
          );
        })}
      </div>
      <div ref={scroller} className="tbody-scroll" tabIndex={0} onScroll={onScroll} onKeyDown={onKeyDown} data-testid="entries-scroll">
        <div className="tbody" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const id = visible[item.index];
            const row = id ? byId.get(id) : undefined;
            if (!row) return null;
            return <Row key={row.id} row={row} index={item.index} selected={row.id === selectedId} onClick={onRowClick} />;
          })}
        </div>
      </div>
    </div>
  );
}
