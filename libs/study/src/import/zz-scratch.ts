import { openDatabase } from '@leadwise/db';
import { resolveEcgDataDir } from '@leadwise/ecg';
import { importDataset } from './import-dataset.ts';
const h = await openDatabase({ driver: (process.argv[2] as 'pglite') ?? 'pglite', pgliteDataDir: 'memory://', databaseUrl: 'postgres://postgres@127.0.0.1:5432/test' });
const dir = resolveEcgDataDir();
for (const [kind, p] of [['ptbxl', dir + '/ptbxl'], ['cinc', dir + '/chapman-shaoxing-subset-400.tar.xz']] as const) {
  for (let i = 0; i < 2; i++) {
  const t0 = Date.now(); let tr = 0; let tw = 0;
  const s = await importDataset(h.db, { kind, path: p }, (pr) => { if (pr.phase === 'reading' && pr.done === 0) tr = Date.now(); if (pr.phase === 'writing') tw = Date.now(); });
  const t1 = Date.now();
  console.log(JSON.stringify(s), 'list', tr - t0, 'read', tw - tr, 'write', t1 - tw, 'total', t1 - t0);
  }
}
await h.close();
