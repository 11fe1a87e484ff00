import { useRef } from 'react';
import { useDialog } from './use-dialog.js';

interface ConfirmDialogProps {
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({ title, message, confirmLabel, danger, onConfirm, onCancel }: ConfirmDialogProps) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLDivElement>(null);
  // Focus the safe choice: Enter on a freshly opened "delete?" must not delete.
  useDialog(dialog, onCancel, cancelRef);
  return (
    <div className="modal-backdrop" onMouseDown={onCancel}>
      <div
        ref={dialog}
        className="modal modal-small"
        role="alertdialog"
        aria-modal="true"
        aria-label={title}
        data-testid="confirm-dialog"
        onMouseDown={(e) => e.stopPropagation()}
      >
        <h2>{title}</h2>
        <p>{message}</p>
        <div className="modal-actions">
          <button type="button" ref={cancelRef} data-testid="confirm-cancel" onClick={onCancel}>Cancel</button>
          <button type="button" className={danger ? 'danger' : 'primary'} data-testid="confirm-ok" onClick={onConfirm}>{confirmLabel}</button>
        </div>
      </div>
    </div>
  );
}
