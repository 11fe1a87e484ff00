/**
 * What every modal dialog needs from the keyboard: focus moves into it when it opens (so Esc reaches it even
 * when it was opened by a button elsewhere), Tab and Shift+Tab stay inside it, Esc closes the topmost one only,
 * and focus returns to where it was when it closes.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { RefObject } from 'react';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Open dialogs, innermost last: Esc and Tab belong to the top one. */
const stack: HTMLElement[] = [];

export function focusableIn(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.closest('[hidden], [inert]') && el.getClientRects().length > 0);
}

/** Where Tab from `active` goes inside a dialog whose focusable elements are `items` (wrapping at both ends). */
export function trappedTarget<T>(items: readonly T[], active: T | null, backwards: boolean): T | undefined {
  if (items.length === 0) return undefined;
  const index = active === null ? -1 : items.indexOf(active);
  if (index === -1) return backwards ? items[items.length - 1] : items[0];
  if (backwards && index === 0) return items[items.length - 1];
  if (!backwards && index === items.length - 1) return items[0];
  return undefined; // the browser's own order is right
}

export function useDialog(ref: RefObject<HTMLElement | null>, onClose: () => void, initialFocus?: RefObject<HTMLElement | null>): void {
  const close = useRef(onClose);
  // Kept current after each commit (not during render, which React may replay or discard) for the key handler.
  useLayoutEffect(() => {
    close.current = onClose;
  });
  // Read at the first render, before an autoFocus field inside the dialog takes the focus in the commit.
  const [opener] = useState(() => document.activeElement as HTMLElement | null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const previous = opener && !dialog.contains(opener) ? opener : null;
    stack.push(dialog);
    if (!dialog.contains(document.activeElement)) (initialFocus?.current ?? focusableIn(dialog)[0] ?? dialog).focus();
    const onKey = (e: KeyboardEvent) => {
      if (stack[stack.length - 1] !== dialog) return;
      if (e.key === 'Escape') {
        // Monaco and open <select>s use Esc themselves; let them.
        if (e.defaultPrevented) return;
        e.preventDefault();
        close.current();
      } else if (e.key === 'Tab') {
        const target = trappedTarget(focusableIn(dialog), dialog.contains(document.activeElement) ? (document.activeElement as HTMLElement) : null, e.shiftKey);
        if (target) {
          e.preventDefault();
          target.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      stack.splice(stack.indexOf(dialog), 1);
      if (previous?.isConnected) previous.focus();
    };
  }, [ref, initialFocus, opener]);
}
