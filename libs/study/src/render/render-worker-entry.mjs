// Worker threads do not inherit the tsx loader that runs the CLI and the tests (a worker given a
// .ts entry, even with execArgv ['--import', 'tsx'], fails with "Unknown file extension .ts" on
// Node 20), so this plain module registers tsx in the worker first, then loads the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./render-worker.ts');
