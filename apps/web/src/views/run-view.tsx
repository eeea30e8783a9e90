import { useEffect, useState } from 'react';
import { graphql } from '../graphql.ts';
import { ApiError, request, storedApiKey, useQuery } from '../api-client.ts';
import { href } from '../router.ts';
import { dateTime, durationMs, fixed, runLabel } from '../components/format.ts';
import { LineChart } from '../components/line-chart.tsx';
import { Empty, ErrorNote, Loading, Section, StatusBadge } from '../components/ui.tsx';
import { Progress } from './experiment-view.tsx';

const RunQuery = graphql(`
  query Run($id: Int!) {
    run(id: $id) {
      id
      name
      kind
      model
      seed
      status
      backend
      error
      createdAt
      startTime
      endTime
      wallTimeMs
      experiment { id name }
      dataset { id name }
      parentRun { id name model seed kind }
      params(first: 200) { key value }
      latestMetrics(first: 200) { key value step }
      job { id status progressDone progressTotal attempts heartbeatAt error }
    }
  }
`);

const SeriesQuery = graphql(`
  query MetricSeries($id: Int!, $key: String!) {
    run(id: $id) {
      id
      metricSeries(key: $key, first: 2000) { step value }
    }
  }
`);

const CancelRunMutation = graphql(`
  mutation CancelRun($id: Int!) {
    cancelRun(id: $id) { id status }
  }
`);

/** Training curves worth drawing: metrics logged per epoch (loss, accuracy, AUC on train and val). */
const SERIES_PREFIXES = ['train.', 'val.'];

export function RunView({ id }: { id: number }) {
  const [polling, setPolling] = useState(false);
  const { data, error, loading, refetch } = useQuery(RunQuery, { id }, { pollMs: polling ? 2000 : undefined });
  const run = data?.run;
  const live = run?.status === 'RUNNING' || run?.status === 'QUEUED';
  useEffect(() => setPolling(live), [live]);
  const [cancelError, setCancelError] = useState<ApiError | null>(null);

  if (loading && !data) return <Loading what="the run" />;
  if (!data) return <ErrorNote error={error} />;
  if (!run) return <Empty>Run {id} does not exist.</Empty>;

  const seriesKeys = run.latestMetrics.map((m) => m.key).filter((key) => SERIES_PREFIXES.some((p) => key.startsWith(p)));
  async function cancel() {
    setCancelError(null);
    try {
      await request(CancelRunMutation, { id });
      refetch();
    } catch (e) {
      setCancelError(e instanceof ApiError ? e : new ApiError(String(e)));
    }
  }

  return (
    <>
      <p className="breadcrumbs">
        <a href={href('')}>Experiments</a> / <a href={href('experiments', run.experiment.id)}>{run.experiment.name}</a> / run {run.id}
      </p>
      <h1>
        {runLabel(run)} <StatusBadge status={run.status} />
      </h1>
      <ErrorNote error={error} />
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{run.kind.toLowerCase()}</dd>
        <dt>Model</dt>
        <dd>{run.model}</dd>
        <dt>Dataset</dt>
        <dd>{run.dataset?.name ?? '–'}</dd>
        {run.parentRun && (
          <>
            <dt>Evaluates</dt>
            <dd>
              <a href={href('runs', run.parentRun.id)}>{runLabel(run.parentRun)}</a>
            </dd>
          </>
        )}
        <dt>Backend</dt>
        <dd>{run.backend ?? '–'}</dd>
        <dt>Created</dt>
        <dd>{dateTime(run.createdAt)}</dd>
        <dt>Wall time</dt>
        <dd>{durationMs(run.wallTimeMs)}</dd>
      </dl>
      {run.error && <p className="error">Failed: {run.error}</p>}
      {run.job && (
        <Section title="Job">
          <p>
            Job {run.job.id} <StatusBadge status={run.job.status} /> <Progress done={run.job.progressDone} total={run.job.progressTotal} />
            {run.job.attempts > 1 && <span className="muted"> (attempt {run.job.attempts})</span>}
            {live && <span className="muted"> · refreshing every 2 s</span>}
          </p>
          {live && (
            <p>
              <button type="button" onClick={cancel} disabled={!storedApiKey()}>
                Cancel run
              </button>
              {!storedApiKey() && <span className="muted"> Cancelling needs the API key (top bar).</span>}
            </p>
          )}
          <ErrorNote error={cancelError} />
        </Section>
      )}
      {(run.kind === 'EVALUATE' || run.kind === 'LLM') && run.status === 'FINISHED' && (
        <p className="actions">
          <a className="button" href={href('runs', run.id, 'predictions')}>
            Predictions
          </a>{' '}
          <a className="button" href={href('runs', run.id, 'predictions', { misclassified: true, order: 'SCORE_DESC' })}>
            Misclassified, most confident first
          </a>{' '}
          <a className="button" href={href('compare', { a: run.id })}>
            Compare with another run
          </a>
        </p>
      )}
      <Section title="Parameters">
        {run.params.length === 0 ? (
          <Empty>This run logged no parameters.</Empty>
        ) : (
          <table className="compact">
            <caption className="visually-hidden">Parameters of the run</caption>
            <tbody>
              {run.params.map((p) => (
                <tr key={p.key}>
                  <th scope="row">{p.key}</th>
                  <td>{p.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="Metrics">
        {seriesKeys.length > 0 && <TrainingCurves runId={run.id} keys={seriesKeys} refreshKey={live ? run.latestMetrics.map((m) => m.step).join() : ''} />}
        {run.latestMetrics.length === 0 ? (
          <Empty>No metrics logged yet{live ? ': they appear after the first epoch.' : '.'}</Empty>
        ) : (
          <table className="compact">
            <caption className="visually-hidden">Latest value of every metric</caption>
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col">Latest</th>
                <th scope="col">Step</th>
              </tr>
            </thead>
            <tbody>
              {run.latestMetrics.map((m) => (
                <tr key={m.key}>
                  <th scope="row">{m.key}</th>
                  <td className="num">{fixed(m.value, 4)}</td>
                  <td className="num">{m.step}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}

function TrainingCurves({ runId, keys, refreshKey }: { runId: number; keys: string[]; refreshKey: string }) {
  const losses = keys.filter((k) => k.endsWith('loss'));
  const [key, setKey] = useState(losses[0] ?? keys[0]!);
  const others = keys.filter((k) => !losses.includes(k));
  return (
    <div className="charts">
      {losses.length > 0 && <SeriesChart key={losses.join()} runId={runId} title="Loss per epoch" keys={losses} refreshKey={refreshKey} />}
      {others.length > 0 && (
        <div>
          <label>
            Metric{' '}
            <select value={others.includes(key) ? key : others[0]} onChange={(e) => setKey(e.target.value)}>
              {others.map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
          </label>
          <SeriesChart key={key} runId={runId} title={others.includes(key) ? key : others[0]!} keys={[others.includes(key) ? key : others[0]!]} refreshKey={refreshKey} />
        </div>
      )}
    </div>
  );
}

// One query hook per key: callers key this component by its keys, so the hook count never changes.
function SeriesChart({ runId, title, keys, refreshKey }: { runId: number; title: string; keys: string[]; refreshKey: string }) {
  const series = keys.map((key) => ({ key, ...useSeries(runId, key, refreshKey) }));
  return (
    <LineChart
      title={title}
      xLabel="Epoch"
      yLabel={keys.length === 1 ? keys[0]! : 'Loss'}
      markers
      series={series.filter((s) => s.data?.run).map((s) => ({ label: s.key, points: s.data!.run!.metricSeries.map((p) => ({ x: p.step, y: p.value })) }))}
    />
  );
}

function useSeries(runId: number, key: string, refreshKey: string) {
  const state = useQuery(SeriesQuery, { id: runId, key });
  const { refetch } = state;
  useEffect(() => {
    if (refreshKey) refetch();
  }, [refreshKey, refetch]);
  return state;
}
