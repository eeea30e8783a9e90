// A forked child does not inherit the tsx loader that runs the CLI and the tests, so this plain
// module registers tsx first, then serves one training or evaluation run (see child-runs.ts).
import { register } from 'tsx/esm/api';

register();
const { serveRunInChild } = await import('./child-runs.ts');
await serveRunInChild();
