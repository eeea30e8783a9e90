/**
 * The training-recipe ablation table (issue 13): one row per (experiment, model) — a recipe — with
 * its per-seed test ROC-AUC on the internal and external sets, mean ± SD, and a paired DeLong test of
 * the seed-mean AUC against the previous row (seed-averaged placement values on the records every
 * run of both rows scored: `delongSeedAveragedTest`). Reads the finished evaluation runs of a
 * PostgreSQL or PGlite database (DATABASE_URL / LEADWISE_HOME as everywhere).
 *
 *   npx tsx tools/bench/recipe-ablation.ts --row "label=experimentId:model" [--row ...] [--json]
 *
 * e.g. --row "ResNet18, no augmentation=1:resnet18" --row "LeadGroupECG (paper head)=2:leadgroup"
 */
import { openDatabase, PredictionStore, type LeadwiseDatabase } from '@leadwise/db';
import { delongSeedAveragedTest } from '@leadwise/metrics';
import { computeStudySummary, type StudySummaryRow } from '@leadwise/study';

interface RowSpec {
  label: string;
  experimentId: number;
  model: string;
}

interface RoleResult {
  dataset: string;
  n: number;
  perSeed: { seed: number; rocAuc: number; runId: number }[];
  mean: number;
  sd: number | null;
  prAucMean: number;
  /** Against the previous row, when both have the role. */
  versusPrevious?: { difference: number; lower: number; upper: number; p: number; sharedRecords: number; seeds: number };
}

function parseArgs(argv: string[]): { rows: RowSpec[]; json: boolean } {
  const rows: RowSpec[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') json = true;
    else if (argv[i] === '--row') {
      const text = argv[++i] ?? '';
      const match = /^(.+)=(\d+):([a-z0-9]+)$/.exec(text);
      if (!match) throw new Error(`--row must be "label=experimentId:model", got "${text}"`);
      rows.push({ label: match[1], experimentId: Number(match[2]), model: match[3] });
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (rows.length === 0) throw new Error('give at least one --row "label=experimentId:model"');
  return { rows, json };
}

async function roleResults(db: LeadwiseDatabase, spec: RowSpec): Promise<Map<'internal' | 'external', { summary: StudySummaryRow; result: RoleResult }>> {
  const summary = await computeStudySummary(db, spec.experimentId);
  const out = new Map<'internal' | 'external', { summary: StudySummaryRow; result: RoleResult }>();
  for (const row of summary.rows.filter((r) => r.model === spec.model)) {
    out.set(row.role, {
      summary: row,
      result: {
        dataset: row.dataset,
        n: row.n,
        perSeed: row.rocAuc.perSeed.map((s) => ({ seed: s.seed, rocAuc: s.value, runId: s.runId })),
        mean: row.rocAuc.mean,
        sd: row.rocAuc.sd,
        prAucMean: row.prAuc.mean,
      },
    });
  }
  if (out.size === 0) throw new Error(`experiment ${spec.experimentId} has no finished evaluation of ${spec.model}`);
  return out;
}

async function compare(db: LeadwiseDatabase, current: RoleResult, previous: RoleResult): Promise<RoleResult['versusPrevious']> {
  const store = new PredictionStore(db);
  const seeds = current.perSeed.map((s) => s.seed).filter((seed) => previous.perSeed.some((p) => p.seed === seed));
  if (seeds.length === 0) return undefined;
  const runIds = (r: RoleResult) => seeds.map((seed) => r.perSeed.find((s) => s.seed === seed)!.runId);
  const maps = await Promise.all([...runIds(current), ...runIds(previous)].map(async (runId) => new Map((await store.scoredLabels(runId)).map((p) => [p.recordId, p]))));
  const shared = [...maps[0].values()].filter((p) => maps.every((m) => m.has(p.recordId)));
  const labels = Uint8Array.from(shared, (p) => p.trueLabel);
  const scores = maps.map((m) => Float64Array.from(shared, (p) => m.get(p.recordId)!.score));
  const test = delongSeedAveragedTest(labels, scores.slice(0, seeds.length), scores.slice(seeds.length));
  return { difference: test.difference, lower: test.lower, upper: test.upper, p: test.pValue, sharedRecords: shared.length, seeds: seeds.length };
}

const fmt = (x: number) => x.toFixed(3);
const fmtP = (p: number) => (p < 0.001 ? '<0.001' : p.toFixed(3));

async function main(): Promise<void> {
  const { rows, json } = parseArgs(process.argv.slice(2));
  const handle = await openDatabase();
  try {
    const results: { label: string; experimentId: number; model: string; roles: Partial<Record<'internal' | 'external', RoleResult>> }[] = [];
    let previous: Map<'internal' | 'external', { result: RoleResult }> | null = null;
    for (const spec of rows) {
      const current = await roleResults(handle.db, spec);
      const roles: Partial<Record<'internal' | 'external', RoleResult>> = {};
      for (const [role, { result }] of current) {
        const before = previous?.get(role)?.result;
        if (before) result.versusPrevious = await compare(handle.db, result, before);
        roles[role] = result;
      }
      results.push({ label: spec.label, experimentId: spec.experimentId, model: spec.model, roles });
      previous = current;
    }
    if (json) {
      console.log(JSON.stringify(results, null, 2));
      return;
    }
    const cell = (r: RoleResult | undefined) =>
      r ? `${fmt(r.mean)} ± ${r.sd === null ? '—' : fmt(r.sd)} (${r.perSeed.map((s) => fmt(s.rocAuc)).join(', ')})` : '—';
    const versus = (r: RoleResult | undefined) =>
      r?.versusPrevious ? `${r.versusPrevious.difference >= 0 ? '+' : ''}${fmt(r.versusPrevious.difference)} [${fmt(r.versusPrevious.lower)}, ${fmt(r.versusPrevious.upper)}], p ${fmtP(r.versusPrevious.p)}` : '—';
    console.log('| recipe | experiment | internal ROC-AUC mean ± SD (per seed) | Δ vs previous row (95% CI), pooled DeLong | external ROC-AUC mean ± SD (per seed) | Δ vs previous row |');
    console.log('|---|---|---|---|---|---|');
    for (const r of results) {
      console.log(`| ${r.label} | ${r.experimentId} (${r.model}) | ${cell(r.roles.internal)} | ${versus(r.roles.internal)} | ${cell(r.roles.external)} | ${versus(r.roles.external)} |`);
    }
    const first = results[0];
    for (const role of ['internal', 'external'] as const) {
      const r = first.roles[role];
      if (r) console.log(`\n${role}: ${r.dataset}, n = ${r.n}`);
    }
  } finally {
    await handle.close();
  }
}

main().catch((error: unknown) => {
  console.error(`recipe-ablation: ${(error as Error).message}`);
  process.exit(1);
});
