import { useState, type FormEvent } from 'react';
import { graphql, type VariablesOf } from '../graphql.ts';
import { useQuery } from '../api-client.ts';
import { href, navigate, type Route } from '../router.ts';
import { fixed, runLabel } from '../components/format.ts';
import { Empty, ErrorNote, Loading } from '../components/ui.tsx';
import { RecordsAcrossRunsTable, RunsBesidePicker, runsBeside } from './records-across-runs.tsx';

const PredictionsQuery = graphql(`
  query Predictions(
    $runId: Int!
    $after: String
    $datasetId: Int
    $split: Split
    $trueLabel: BinaryLabel
    $misclassified: Boolean
    $minScore: Float
    $maxScore: Float
    $orderBy: PredictionOrder!
  ) {
    run(id: $runId) { id name model seed kind experiment { id name } }
    datasets(first: 100) { id name }
    predictions(
      runId: $runId
      first: 50
      after: $after
      datasetId: $datasetId
      split: $split
      trueLabel: $trueLabel
      misclassified: $misclassified
      minScore: $minScore
      maxScore: $maxScore
      orderBy: $orderBy
    ) {
      totalCount
      nodes { id recordId score trueLabel predictedLabel misclassified split record { id externalId ageYears sex } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

type Variables = VariablesOf<typeof PredictionsQuery>;
const SPLITS = ['TRAIN', 'VAL', 'TEST'] as const;
const LABELS = ['NORMAL', 'ABNORMAL'] as const;
const ORDERS = { ID: 'Record order', SCORE_DESC: 'Score, highest first', SCORE_ASC: 'Score, lowest first' } as const;

/** Filters live in the URL, so a filtered table can be bookmarked and the back button works. */
function variablesFrom(runId: number, query: URLSearchParams): Variables {
  const oneOf = <T extends string>(value: string | null, allowed: readonly T[]) => (allowed.includes(value as T) ? (value as T) : null);
  const score = (value: string | null) => (value !== null && value !== '' && Number.isFinite(Number(value)) ? Number(value) : null);
  const misclassified = query.get('misclassified');
  return {
    runId,
    after: query.get('after'),
    datasetId: score(query.get('dataset')),
    split: oneOf(query.get('split'), SPLITS),
    trueLabel: oneOf(query.get('label'), LABELS),
    misclassified: misclassified === 'true' ? true : misclassified === 'false' ? false : null,
    minScore: score(query.get('min')),
    maxScore: score(query.get('max')),
    orderBy: oneOf(query.get('order'), Object.keys(ORDERS) as (keyof typeof ORDERS)[]) ?? 'ID',
  };
}

export function PredictionsView({ runId, route }: { runId: number; route: Route }) {
  const variables = variablesFrom(runId, route.query);
  const beside = runsBeside(route.query);
  // Side by side, `after` is the across-runs table's cursor; this query then shows the first page's count only.
  const { data, error, loading } = useQuery(PredictionsQuery, beside.length > 0 ? { ...variables, after: null } : variables);
  const filterHref = (changes: Record<string, string | number | boolean | null>) =>
    href('runs', runId, 'predictions', { ...Object.fromEntries(route.query), after: null, ...changes });

  return (
    <>
      <p className="breadcrumbs">
        <a href={href('')}>Experiments</a>
        {data?.run && (
          <>
            {' / '}
            <a href={href('experiments', data.run.experiment.id)}>{data.run.experiment.name}</a> / <a href={href('runs', runId)}>{runLabel(data.run)}</a>
          </>
        )}{' '}
        / predictions
      </p>
      <h1>Predictions{data?.run ? ` of ${runLabel(data.run)}` : ''}</h1>
      <Filters key={route.query.toString()} query={route.query} datasets={data?.datasets ?? []} onApply={(changes) => navigate(filterHref(changes))} />
      <RunsBesidePicker key={`beside-${beside.join(',')}`} runId={runId} chosen={beside} onApply={(runIds) => navigate(filterHref({ with: runIds.join(',') || null }))} />
      <ErrorNote error={error} />
      {loading && !data && <Loading what="predictions" />}
      {data && !data.run && <Empty>Run {runId} does not exist.</Empty>}
      {data?.run && (
        <>
          <p role="status" aria-live="polite" className="muted">
            {data.predictions.totalCount} prediction{data.predictions.totalCount === 1 ? '' : 's'} match{loading ? ' (updating…)' : ''}.
          </p>
          {beside.length > 0 ? (
            <RecordsAcrossRunsTable
              variables={{
                runIds: [runId, ...beside],
                after: variables.after,
                datasetId: variables.datasetId,
                split: variables.split,
                trueLabel: variables.trueLabel,
                misclassified: variables.misclassified,
                minScore: variables.minScore,
                maxScore: variables.maxScore,
              }}
              pageHref={(after) => href('runs', runId, 'predictions', { ...Object.fromEntries(route.query), after })}
            />
          ) : data.predictions.nodes.length === 0 ? (
            <Empty>No predictions match these filters. A run has predictions once its evaluation finished; try clearing filters.</Empty>
          ) : (
            <table className="predictions">
              <caption className="visually-hidden">Predictions, 50 per page</caption>
              <thead>
                <tr>
                  <th scope="col">Record</th>
                  <th scope="col">Split</th>
                  <th scope="col">True label</th>
                  <th scope="col">Predicted</th>
                  <th scope="col">Score</th>
                </tr>
              </thead>
              <tbody>
                {data.predictions.nodes.map((p) => (
                  <tr key={p.id} className={p.misclassified ? 'misclassified' : undefined}>
                    <td>
                      <a href={href('records', p.recordId, { run: runId })}>{p.record.externalId}</a>
                    </td>
                    <td>{p.split?.toLowerCase() ?? '–'}</td>
                    <td>{p.trueLabel.toLowerCase()}</td>
                    <td>
                      {p.predictedLabel.toLowerCase()}
                      {p.misclassified && <span className="tag"> ✗ wrong</span>}
                    </td>
                    <td className="num">
                      <ScoreBar score={p.score} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {beside.length === 0 && (
            <nav aria-label="Pages" className="pager">
              {variables.after && <a href={filterHref({})}>First page</a>}
              {data.predictions.pageInfo.hasNextPage && data.predictions.pageInfo.endCursor && (
                <a href={href('runs', runId, 'predictions', { ...Object.fromEntries(route.query), after: data.predictions.pageInfo.endCursor })}>Next page</a>
              )}
            </nav>
          )}
        </>
      )}
    </>
  );
}

export function ScoreBar({ score }: { score: number }) {
  return (
    <span className="score">
      <span className="score-bar" aria-hidden="true">
        <span style={{ width: `${Math.round(score * 100)}%` }} />
      </span>
      {fixed(score)}
    </span>
  );
}

function Filters({ query, datasets, onApply }: { query: URLSearchParams; datasets: { id: number; name: string }[]; onApply: (changes: Record<string, string | null>) => void }) {
  const [form, setForm] = useState(() => ({
    dataset: query.get('dataset') ?? '',
    split: query.get('split') ?? '',
    label: query.get('label') ?? '',
    misclassified: query.get('misclassified') ?? '',
    min: query.get('min') ?? '',
    max: query.get('max') ?? '',
    order: query.get('order') ?? 'ID',
  }));
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });
  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(Object.fromEntries(Object.entries(form).map(([k, v]) => [k, v || null])));
  }
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter predictions">
      <label>
        Dataset
        <select value={form.dataset} onChange={set('dataset')}>
          <option value="">any</option>
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Split
        <select value={form.split} onChange={set('split')}>
          <option value="">any</option>
          {SPLITS.map((s) => (
            <option key={s} value={s}>
              {s.toLowerCase()}
            </option>
          ))}
        </select>
      </label>
      <label>
        True label
        <select value={form.label} onChange={set('label')}>
          <option value="">any</option>
          {LABELS.map((l) => (
            <option key={l} value={l}>
              {l.toLowerCase()}
            </option>
          ))}
        </select>
      </label>
      <label>
        Correctness
        <select value={form.misclassified} onChange={set('misclassified')}>
          <option value="">all</option>
          <option value="true">misclassified only</option>
          <option value="false">correct only</option>
        </select>
      </label>
      <label>
        Min score
        <input type="number" min={0} max={1} step={0.01} value={form.min} onChange={set('min')} />
      </label>
      <label>
        Max score
        <input type="number" min={0} max={1} step={0.01} value={form.max} onChange={set('max')} />
      </label>
      <label>
        Sort
        <select value={form.order} onChange={set('order')}>
          {Object.entries(ORDERS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Apply filters</button>
    </form>
  );
}
