import type { KeyboardEvent as ReactKeyboardEvent, MouseEvent as ReactMouseEvent } from 'react';
import { useUiStore } from '../../stores/ui-store.js';

/** The detail pane's left edge: dragged with the mouse, or moved with the arrow keys (Shift: bigger steps). */
export function usePaneResize() {
  const width = useUiStore((s) => s.detailWidth);
  const setWidth = useUiStore((s) => s.setDetailWidth);

  const startResize = (e: ReactMouseEvent) => {
    e.preventDefault();
    const startX = e.clientX;
    const startWidth = width;
    const move = (ev: MouseEvent) => setWidth(startWidth + (startX - ev.clientX));
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  };

  const resizeByKey = (e: ReactKeyboardEvent) => {
    const step = e.shiftKey ? 120 : 30;
    // The pane sits on the right: moving its edge left makes it wider.
    if (e.key === 'ArrowLeft') setWidth(width + step);
    else if (e.key === 'ArrowRight') setWidth(width - step);
    else return;
    e.preventDefault();
  };

  return { width, startResize, resizeByKey };
}
