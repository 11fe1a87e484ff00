// The CLI from source, for tests that run it as a real child process (`node --import tsx cli-entry.ts ...`).
import { main } from '../cli/main.js';

const code = await main(process.argv);
if (process.argv[2] !== 'serve' || code !== 0) process.exitCode = code;
