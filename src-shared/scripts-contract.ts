/**
 * Postman collections, test and k6 scripts, cURL and fetch code: its rows of the operation table, spread into OPERATIONS by contract.ts.
 */
// Rows go here, built with row() from ./operation-row.js (see docs/operations.md).
export const SCRIPT_OPERATIONS = {} as const;
