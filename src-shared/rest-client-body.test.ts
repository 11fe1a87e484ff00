import { describe, expect, it } from 'vitest';
import { OPERATIONS, restPathOf, type OperationRow } from './contract.js';
import { restRequestOf } from './rest-client.js';

describe('how REST carries an input', () => {
  it('sends a bodyField row\'s field as the whole JSON body (Mockarty\'s batch takes an array)', () => {
    const mocks = [{ http: { route: '/a' }, response: {} }];
    expect(restRequestOf('saveMocks', { mocks })).toEqual({ method: 'POST', path: '/api/v1/mocks/batch', body: mocks });
  });

  it('sends other rows\' fields side by side, path parameters in the path, queries for GET', () => {
    expect(restRequestOf('patchMock', { id: 'a b', priority: 2 })).toEqual({ method: 'PATCH', path: '/api/v1/mocks/a%20b', body: { priority: 2 } });
    expect(restRequestOf('listMocks', { namespace: 'x', limit: 5 })).toEqual({ method: 'GET', path: '/api/v1/mocks?namespace=x&limit=5' });
    expect(restRequestOf('listNamespaces')).toEqual({ method: 'GET', path: '/api/v1/namespaces' });
  });

  it('gives every bodyField row a field its schema knows, on a method that has a body', () => {
    for (const [name, row] of Object.entries(OPERATIONS) as Array<[string, OperationRow]>) {
      if (row.bodyField === undefined) continue;
      expect(['POST', 'PUT', 'PATCH'], name).toContain(row.method);
      expect(Object.keys((row.input as unknown as { shape: object }).shape), name).toContain(row.bodyField);
      expect(restPathOf(row), name).not.toMatch(/:\w/);
    }
  });
});
