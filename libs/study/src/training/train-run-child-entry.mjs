// A forked child does not inherit the tsx loader that runs the CLI and the tests, so this plain
// module registers tsx first, then serves one training run (see parallel-training.ts).
import { register } from 'tsx/esm/api';

register();
const { serveTrainRunInChild } = await import('./parallel-training.ts');
await serveTrainRunInChild();
