/** Map local (`mapLocal`): answer matching requests from the local mocks of a namespace. */
import { mapLocalConfigSchema, type MapLocalConfig } from '../../../src-shared/mocks.js';
import { problemsOf, textOf, type Problems } from './field-problems.js';

export interface MapLocalForm {
  enabled: boolean;
  /** Blank: the session's own namespace. */
  namespace: string;
}

export const EMPTY_MAP_LOCAL: MapLocalForm = { enabled: false, namespace: '' };

/** Off is the same as absent: nothing is sent then. */
export function mapLocalToInput(form: MapLocalForm): MapLocalConfig | undefined {
  if (!form.enabled) return undefined;
  const namespace = form.namespace.trim();
  return namespace ? { enabled: true, namespace } : { enabled: true };
}

export function mapLocalFromInput(mapLocal: unknown): MapLocalForm {
  if (typeof mapLocal !== 'object' || mapLocal === null) return EMPTY_MAP_LOCAL;
  const { enabled, namespace } = mapLocal as Record<string, unknown>;
  return { enabled: enabled === true, namespace: textOf(namespace) };
}

export function mapLocalProblems(form: MapLocalForm): Problems {
  const input = mapLocalToInput(form);
  return input ? problemsOf(mapLocalConfigSchema, input, 'mapLocal') : {};
}
