/**
 * The local mock store's operations, in Mockarty's own REST shape (`/api/v1/mocks`, ../shared/spec/mockarty-api.md).
 * Spread into the operation table by contract.ts.
 */
export const MOCK_OPERATIONS = {} as const;
