/**
 * HAR export and import: its rows of the operation table, spread into OPERATIONS by contract.ts.
 */
// Rows go here, built with row() from ./operation-row.js (see docs/operations.md).
export const HAR_OPERATIONS = {} as const;
