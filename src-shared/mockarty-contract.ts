/**
 * Mock generation from entries, the remote Mockarty server's settings, test and push: its rows of the operation table, spread into OPERATIONS by contract.ts.
 */
// Rows go here, built with row() from ./operation-row.js (see docs/operations.md).
export const MOCKARTY_OPERATIONS = {} as const;
