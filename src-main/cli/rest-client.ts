/** The CLI's client: the operation table over REST (src-shared/rest-client.ts), with the token it was given. */
import { createRestClient, type RestClient } from '../../src-shared/rest-client.js';

export type RestRecorderClient = RestClient;

export function restRecorderClient(server: string, token: string | undefined): RestRecorderClient {
  return createRestClient({ server, token: () => token });
}
