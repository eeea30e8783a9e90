import { useEffect, useMemo, useRef, useState } from 'react';
import { graphql, type ResultOf } from '../graphql.ts';
import { useQuery } from '../api-client.ts';
import { href } from '../router.ts';
import { dateTime, fixed, runLabel, withCi } from '../components/format.ts';
import { LineChart } from '../components/line-chart.tsx';
import { Empty, ErrorNote, Loading, Section, StatusBadge } from '../components/ui.tsx';
import { LaunchRunForm } from './launch-run-form.tsx';

const ExperimentQuery = graphql(`
  query Experiment($id: Int!) {
    experiment(id: $id) {
      id
      name
      status
      createdAt
      runs(first: 100) {
        id
        name
        kind
        model
        seed
        status
        dataset { id name }
        job { progressDone progressTotal }
      }
    }
  }
`);

// The summary comes in two parts: with every seed of both metrics in one document, its cost
// estimate (100 rows x 20 seeds) passes the API's complexity limit.
const SummaryQuery = graphql(`
  query StudySummary($id: Int!) {
    studySummary(experimentId: $id) {
      internalDataset
      rows {
        model
        role
        dataset
        n
        positives
        seeds
        rocAuc { mean sd ciLow ciHigh perSeed { seed runId value ciLow ciHigh } }
        prAuc { mean sd ciLow ciHigh }
      }
    }
  }
`);

const PrAucSeedsQuery = graphql(`
  query StudySummaryPrAucSeeds($id: Int!) {
    studySummary(experimentId: $id) {
      rows { prAuc { perSeed { seed value ciLow ciHigh } } }
    }
  }
`);

const CurvesQuery = graphql(`
  query RunCurves($runId: Int!) {
    runCurves(runId: $runId, maxPoints: 150) {
      runId
      n
      rocAuc
      averagePrecision
      roc { x y }
      pr { x y }
      brier
      ece
      calibration { meanPredicted observedRate count }
    }
  }
`);

const CompareQuery = graphql(`
  query ComparePair($a: Int!, $b: Int!) {
    compareRuns(runA: $a, runB: $b) { runA runB n aucA aucB difference ciLow ciHigh pValue note }
  }
`);

type ExperimentRun = NonNullable<ResultOf<typeof ExperimentQuery>['experiment']>['runs'][number];

/** Runs whose predictions the curves and tests are about: finished evaluations (and LLM runs, which also predict). */
function scoredRuns(runs: ExperimentRun[]): ExperimentRun[] {
  return runs.filter((r) => r.status === 'FINISHED' && (r.kind === 'EVALUATE' || r.kind === 'LLM'));
}

export function ExperimentView({ id }: { id: number }) {
  // Live progress: poll every 2 s while anything of the experiment is queued or running.
  const [polling, setPolling] = useState(false);
  const { data, error, loading, refetch } = useQuery(ExperimentQuery, { id }, { pollMs: polling ? 2000 : undefined });
  useEffect(() => setPolling(Boolean(data?.experiment?.runs.some((r) => r.status === 'RUNNING' || r.status === 'QUEUED'))), [data]);
  if (loading && !data) return <Loading what="the experiment" />;
  if (!data) return <ErrorNote error={error} />;
  if (!data.experiment) return <Empty>Experiment {id} does not exist.</Empty>;
  const { experiment } = data;
  const scored = scoredRuns(experiment.runs);
  return (
    <>
      <p className="breadcrumbs">
        <a href={href('')}>Experiments</a> / {experiment.name}
      </p>
      <h1>
        {experiment.name} <StatusBadge status={experiment.status} />
      </h1>
      <p className="muted">Created {dateTime(experiment.createdAt)}</p>
      <ErrorNote error={error} />
      <StudySummaryTable experimentId={experiment.id} refreshKey={scored.map((r) => r.id).join()} />
      <Section title="Runs">
        {experiment.runs.length === 0 ? (
          <Empty>No runs yet. Launch one below (needs the API key) or with `leadwise study`.</Empty>
        ) : (
          <table>
            <caption className="visually-hidden">Runs of the experiment</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Kind</th>
                <th scope="col">Dataset</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
              </tr>
            </thead>
            <tbody>
              {experiment.runs.map((run) => (
                <tr key={run.id}>
                  <td>
                    <a href={href('runs', run.id)}>{runLabel(run)}</a>
                  </td>
                  <td>{run.kind.toLowerCase()}</td>
                  <td>{run.dataset?.name ?? '–'}</td>
                  <td>
                    <StatusBadge status={run.status} />
                  </td>
                  <td>{run.job ? <Progress done={run.job.progressDone} total={run.job.progressTotal} /> : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Curves runs={scored} />
      <DelongTable runs={scored} />
      <Section title="Launch a run">
        <LaunchRunForm experimentId={experiment.id} onLaunched={refetch} />
      </Section>
    </>
  );
}

/** ROC-AUC and PR-AUC with 95% CIs per model and test set, and per seed below each row when there are several. */
function StudySummaryTable({ experimentId, refreshKey }: { experimentId: number; refreshKey: string }) {
  const summary = useQuery(SummaryQuery, { id: experimentId });
  const prAucSeeds = useQuery(PrAucSeedsQuery, { id: experimentId });
  const prSeeds = (row: number) => prAucSeeds.data?.studySummary.rows[row]?.prAuc.perSeed ?? [];
  const { refetch } = summary;
  const refetchSeeds = prAucSeeds.refetch;
  // A newly finished evaluation adds to the summary (the first key is the one just fetched).
  const shownKey = useRef(refreshKey);
  useEffect(() => {
    if (shownKey.current === refreshKey) return;
    shownKey.current = refreshKey;
    refetch();
    refetchSeeds();
  }, [refreshKey, refetch, refetchSeeds]);
  return (
    <>
      <ErrorNote error={summary.error} />
      <Section title="Study summary">
        {!summary.data ? (
          <Loading what="the study summary" />
        ) : summary.data.studySummary.rows.length === 0 ? (
          <Empty>No finished evaluation yet: the summary fills in as evaluation runs finish.</Empty>
        ) : (
          <table>
            <caption className="visually-hidden">ROC-AUC and PR-AUC with 95% confidence intervals, per model, test set and seed</caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Test set</th>
                <th scope="col">Seed</th>
                <th scope="col">n (abnormal)</th>
                <th scope="col">ROC-AUC (95% CI)</th>
                <th scope="col">PR-AUC (95% CI)</th>
              </tr>
            </thead>
            <tbody>
              {summary.data.studySummary.rows.flatMap((row, r) => [
                <tr key={`${row.model}-${row.dataset}`} className="summary-row">
                  <th scope="row">{row.model}</th>
                  <td>
                    {row.dataset} <span className="muted">({row.role.toLowerCase()})</span>
                  </td>
                  <td>{row.seeds.length > 1 ? `mean of ${row.seeds.length}` : row.seeds.join(', ')}</td>
                  <td className="num">
                    {row.n} ({row.positives})
                  </td>
                  <td className="num">
                    {withCi(row.rocAuc.mean, row.rocAuc.ciLow, row.rocAuc.ciHigh)}
                    {row.rocAuc.sd !== null && <span className="muted"> ± {fixed(row.rocAuc.sd)}</span>}
                  </td>
                  <td className="num">
                    {withCi(row.prAuc.mean, row.prAuc.ciLow, row.prAuc.ciHigh)}
                    {row.prAuc.sd !== null && <span className="muted"> ± {fixed(row.prAuc.sd)}</span>}
                  </td>
                </tr>,
                ...(row.seeds.length > 1
                  ? row.rocAuc.perSeed.map((seed, i) => (
                      <tr key={`${row.model}-${row.dataset}-${seed.seed}`} className="seed-row">
                        <td />
                        <td />
                        <td>
                          <a href={href('runs', seed.runId)}>seed {seed.seed}</a>
                        </td>
                        <td />
                        <td className="num">{withCi(seed.value, seed.ciLow, seed.ciHigh)}</td>
                        <td className="num">{withCi(prSeeds(r)[i]?.value, prSeeds(r)[i]?.ciLow, prSeeds(r)[i]?.ciHigh)}</td>
                      </tr>
                    ))
                  : []),
              ])}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}

export function Progress({ done, total }: { done: number; total: number | null }) {
  if (!total) return <span>{done} done</span>;
  return (
    <span className="progress">
      <progress value={done} max={total} aria-label={`${done} of ${total}`} /> {done}/{total}
    </span>
  );
}

/** One runCurves query per run (each reads the run's predictions once), drawn together. */
function Curves({ runs }: { runs: ExperimentRun[] }) {
  const shown = runs.slice(0, 8);
  return (
    <Section title="ROC, precision-recall and calibration">
      {shown.length === 0 ? (
        <Empty>Curves appear once an evaluation run has finished.</Empty>
      ) : (
        // Keyed by the runs shown: one query hook per run, so a new run list mounts a new chart set.
        <CurveCharts key={shown.map((r) => r.id).join(',')} runs={shown} />
      )}
      {runs.length > shown.length && <p className="muted">Showing the first {shown.length} of {runs.length} scored runs.</p>}
    </Section>
  );
}

function CurveCharts({ runs }: { runs: ExperimentRun[] }) {
  const results = runs.map((run) => ({ run, ...useCurve(run.id) }));
  const ready = results.filter((r) => r.data);
  const label = (run: ExperimentRun, value: number | null | undefined, name: string) => `${runLabel(run)}, ${name} ${fixed(value)}`;
  if (ready.length < results.length) return <Loading what="curves" />;
  return (
    <div className="charts">
      <LineChart
        title="ROC curve"
        xLabel="False positive rate"
        yLabel="True positive rate"
        xDomain={[0, 1]}
        yDomain={[0, 1]}
        diagonal
        series={ready.map((r) => ({ label: label(r.run, r.data!.runCurves.rocAuc, 'AUC'), points: r.data!.runCurves.roc }))}
      />
      <LineChart
        title="Precision-recall curve"
        xLabel="Recall"
        yLabel="Precision"
        xDomain={[0, 1]}
        yDomain={[0, 1]}
        steps
        series={ready.map((r) => ({ label: label(r.run, r.data!.runCurves.averagePrecision, 'AP'), points: r.data!.runCurves.pr }))}
      />
      <LineChart
        title="Calibration (reliability)"
        xLabel="Mean predicted probability"
        yLabel="Observed abnormal rate"
        xDomain={[0, 1]}
        yDomain={[0, 1]}
        diagonal
        markers
        series={ready.map((r) => ({
          label: label(r.run, r.data!.runCurves.ece, 'ECE'),
          points: r.data!.runCurves.calibration.filter((b) => b.count > 0).map((b) => ({ x: b.meanPredicted!, y: b.observedRate! })),
        }))}
      />
    </div>
  );
}

// A hook per run, called in a stable order (the run list changes only when the experiment does).
function useCurve(runId: number) {
  return useQuery(CurvesQuery, { runId });
}

/** DeLong's paired test for every pair of scored runs on the same dataset (they share records). */
function DelongTable({ runs }: { runs: ExperimentRun[] }) {
  const pairs = useMemo(() => {
    const list: [ExperimentRun, ExperimentRun][] = [];
    for (let i = 0; i < runs.length; i++) {
      for (let j = i + 1; j < runs.length; j++) if (runs[i]!.dataset?.id === runs[j]!.dataset?.id) list.push([runs[i]!, runs[j]!]);
    }
    return list.slice(0, 12);
  }, [runs]);
  return (
    <Section title="Paired DeLong tests">
      {pairs.length === 0 ? (
        <Empty>Needs two finished runs scored on the same dataset.</Empty>
      ) : (
        <table>
          <caption className="visually-hidden">ROC-AUC differences of run pairs on their shared records</caption>
          <thead>
            <tr>
              <th scope="col">Run A</th>
              <th scope="col">Run B</th>
              <th scope="col">n</th>
              <th scope="col">AUC A</th>
              <th scope="col">AUC B</th>
              <th scope="col">A − B (95% CI)</th>
              <th scope="col">p</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {pairs.map(([a, b]) => (
              <DelongRow key={`${a.id}-${b.id}`} a={a} b={b} />
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function DelongRow({ a, b }: { a: ExperimentRun; b: ExperimentRun }) {
  const { data, error } = useQuery(CompareQuery, { a: a.id, b: b.id });
  const c = data?.compareRuns;
  return (
    <tr>
      <td>{runLabel(a)}</td>
      <td>{runLabel(b)}</td>
      {error ? (
        <td colSpan={5} className="muted">
          {error.message}
        </td>
      ) : (
        <>
          <td className="num">{c?.n ?? '…'}</td>
          <td className="num">{fixed(c?.aucA)}</td>
          <td className="num">{fixed(c?.aucB)}</td>
          <td className="num">{c ? withCi(c.difference, c.ciLow, c.ciHigh) : '…'}</td>
          <td className="num">{c ? (c.pValue < 0.001 ? '<0.001' : fixed(c.pValue)) : '…'}</td>
        </>
      )}
      <td>
        <a href={href('compare', { a: a.id, b: b.id })}>compare</a>
      </td>
    </tr>
  );
}
