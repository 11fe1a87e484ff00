/**
 * The serve command's engine flags, generated from the engine configuration's schema (src-shared/engine-config.ts):
 * one flag per option that has one, with its description, default and bounds in --help, its parser, and errors that
 * name the flag. Nothing about an engine option is written here by hand.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ENGINE_OPTIONS, type EngineConfigInput, type EngineFlag, type EngineOptionEntry } from '../../src-shared/engine-config.js';

function helpText(description: string, flag: EngineFlag): string {
  if (!flag.arg) return description;
  return `${description} (default: ${flag.defaultText}; ${flag.boundsText})`;
}

function commanderOption(flag: EngineFlag, description: string): Option {
  const option = new Option(flag.arg ? `${flag.name} ${flag.arg}` : flag.name, helpText(description, flag));
  const parse = flag.parse;
  if (parse) {
    option.argParser((raw: string) => {
      try {
        return parse(raw);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    });
  }
  return option;
}

/** Adds the flags to `cmd`; returns what reads the parsed options back as configuration (only the flags given). */
export function addEngineFlags(cmd: Command): (opts: Record<string, unknown>) => EngineConfigInput {
  const flagged: Array<{ entry: EngineOptionEntry; option: Option }> = [];
  for (const entry of ENGINE_OPTIONS) {
    if (!entry.doc.flag) continue;
    const option = commanderOption(entry.doc.flag, entry.doc.description);
    cmd.addOption(option);
    flagged.push({ entry, option });
  }
  return (opts) => {
    const config: Record<string, unknown> = {};
    for (const { entry, option } of flagged) {
      const value = opts[option.attributeName()];
      if (value === undefined) continue;
      const [group, name] = entry.path;
      if (name === undefined) config[group] = value;
      else ((config[group] ??= {}) as Record<string, unknown>)[name] = value;
    }
    // Checked against the schema by openEngine, like any other configuration.
    return config;
  };
}
