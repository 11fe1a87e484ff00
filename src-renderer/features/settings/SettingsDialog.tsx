import { useRef } from 'react';
import { useDialog } from '../../components/use-dialog.js';
import { useUiStore } from '../../stores/ui-store.js';
import { CaSection } from './CaSection.js';
import { StorageSection } from './StorageSection.js';
import { SystemProxySection } from './SystemProxySection.js';

/** Machine settings: the HTTPS CA and its trust, the system proxy, and storage usage. Opened from the gear in the header. */
export function SettingsDialog() {
  const close = () => useUiStore.getState().setSettingsOpen(false);
  const dialog = useRef<HTMLDivElement>(null);
  useDialog(dialog, close);
  return (
    <div className="modal-backdrop" onMouseDown={close}>
      <div
        ref={dialog}
        tabIndex={-1}
        className="modal settings"
        role="dialog"
        aria-modal="true"
        aria-label="Settings"
        data-testid="settings-dialog"
        onMouseDown={(e) => e.stopPropagation()}
      >
        <div className="settings-header">
          <h2>Settings</h2>
          <button type="button" className="icon-button" aria-label="Close settings" data-testid="settings-close" onClick={close}>×</button>
        </div>
        <CaSection />
        <SystemProxySection />
        <StorageSection />
      </div>
    </div>
  );
}
