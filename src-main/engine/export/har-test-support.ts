/** Tests' view of har-validator (which ships no types): the problems it finds in a HAR, none when it is valid. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const validator = require('har-validator') as { har(data: unknown): Promise<unknown> };

interface AjvError {
  instancePath?: string;
  dataPath?: string;
  message?: string;
}

export async function harProblems(har: unknown): Promise<string[]> {
  try {
    await validator.har(har);
    return [];
  } catch (e) {
    const errors = (e as { errors?: AjvError[] }).errors;
    if (!errors) throw e;
    return errors.map((err) => `${err.instancePath ?? err.dataPath ?? ''}: ${err.message ?? 'invalid'}`);
  }
}
