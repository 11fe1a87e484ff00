import { FieldError } from './FieldError.js';
import type { Problems } from './field-problems.js';
import type { MapLocalForm } from './map-local-form.js';

/** Map local: on, and which namespace's mocks answer (blank: the session's own). */
export function MapLocalFields({ value, onChange, problems, sessionNamespace }: { value: MapLocalForm; onChange: (next: MapLocalForm) => void; problems: Problems; sessionNamespace: string }) {
  return (
    <div className="map-local-fields https-options">
      <label className="checkbox">
        <input type="checkbox" data-testid="map-local-enabled" checked={value.enabled} onChange={(e) => onChange({ ...value, enabled: e.target.checked })} />
        Answer requests that match a local mock from the mock (never the upstream)
      </label>
      {value.enabled && (
        <div>
          <input data-testid="map-local-namespace" aria-label="Mocks namespace" placeholder={`mocks of namespace "${sessionNamespace || 'default'}"`} value={value.namespace}
            aria-invalid={Boolean(problems['mapLocal.namespace'])} onChange={(e) => onChange({ ...value, namespace: e.target.value })} />
          <FieldError problems={problems} path="mapLocal" testId="map-local" />
        </div>
      )}
    </div>
  );
}
