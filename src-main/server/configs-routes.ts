/**
 * The reference's saved-config endpoints (`/configs`, `/configs/:id`, `/configs/:id/export`, `/configs/import`).
 * Saved configs are not implemented yet: each answers that in words, as `POST /start` does for `modifications`, instead
 * of a 404 that reads as if the caller had a wrong id or path.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../src-shared/errors.js';
import { API_PREFIX } from '../../src-shared/contract.js';

const CONFIG_ROUTES: ReadonlyArray<readonly ['GET' | 'POST' | 'DELETE', string]> = [
  ['GET', '/configs'],
  ['POST', '/configs'],
  ['POST', '/configs/import'],
  ['GET', '/configs/:configId'],
  ['DELETE', '/configs/:configId'],
  ['GET', '/configs/:configId/export'],
];

export function configsNotSupported(): ApiError {
  return new ApiError(
    'not_supported',
    'configs: saved session configs are not supported yet by this version of Traffic Recorder; keep the config in a JSON file and start it with POST /start (or `traffic-recorder recorder start --config FILE`)',
    'configs',
  );
}

export function registerConfigsRoutes(app: FastifyInstance): void {
  for (const [method, path] of CONFIG_ROUTES) {
    app.route({
      method,
      url: `${API_PREFIX}${path}`,
      handler: () => Promise.reject(configsNotSupported()),
    });
  }
}
