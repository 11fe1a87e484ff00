/**
 * Saved session configurations (`/api/v1/recorder/configs...`, the reference's shapes). Spread into the operation
 * table by contract.ts.
 */
export const CONFIG_OPERATIONS = {} as const;
