// The worker_threads entry of a data-parallel replica: Node 20 runs no TypeScript by itself, so the
// worker registers tsx (as the CLI does for its sources) and then loads the replica's module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.replicaModule);
