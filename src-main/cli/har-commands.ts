/** `traffic-recorder recorder ...`: HAR export and import, over REST. */
import type { Command } from 'commander';
import type { ClientFactory } from './recorder-commands.js';

export function addHarCommands(recorder: Command, client: ClientFactory): void {
  void recorder;
  void client;
}
