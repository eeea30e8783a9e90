import { useState, type FormEvent } from 'react';
import { graphql, type VariablesOf } from '../graphql.ts';
import { useQuery } from '../api-client.ts';
import { href } from '../router.ts';
import { runLabel } from '../components/format.ts';
import { Empty, ErrorNote, Loading } from '../components/ui.tsx';
import { ScoreBar } from './predictions-view.tsx';

const RunsToSetBesideQuery = graphql(`
  query RunsToSetBeside {
    runs(status: FINISHED, first: 500) { id name model seed kind experiment { name } }
  }
`);

const RecordsAcrossRunsQuery = graphql(`
  query RecordsAcrossRuns(
    $runIds: [Int!]!
    $after: String
    $datasetId: Int
    $split: Split
    $trueLabel: BinaryLabel
    $misclassified: Boolean
    $minScore: Float
    $maxScore: Float
  ) {
    recordsAcrossRuns(
      runIds: $runIds
      first: 50
      after: $after
      datasetId: $datasetId
      split: $split
      trueLabel: $trueLabel
      misclassified: $misclassified
      minScore: $minScore
      maxScore: $maxScore
    ) {
      runs { id name model seed kind }
      nodes { recordId split trueLabel scores record { externalId } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export type AcrossRunsVariables = VariablesOf<typeof RecordsAcrossRunsQuery>;

/** The most runs set beside the first (the API takes 20 in all). */
const MAX_BESIDE = 19;

/** `?with=4,9` -> [4, 9]: the runs shown beside the page's own, in the order chosen. */
export function runsBeside(query: URLSearchParams): number[] {
  const ids = (query.get('with') ?? '')
    .split(',')
    .map(Number)
    .filter((id) => Number.isSafeInteger(id) && id > 0);
  return [...new Set(ids)].slice(0, MAX_BESIDE);
}

/**
 * Chooses the runs to set beside this one (of any experiment). Their list loads when the section
 * is opened: most visits of the predictions table never ask for it.
 */
export function RunsBesidePicker({ runId, chosen, onApply }: { runId: number; chosen: number[]; onApply: (runIds: number[]) => void }) {
  const [open, setOpen] = useState(chosen.length > 0);
  const [selected, setSelected] = useState(chosen.map(String));
  const runs = useQuery(RunsToSetBesideQuery, {}, { skip: !open });
  const others = (runs.data?.runs ?? []).filter((r) => r.id !== runId && r.kind !== 'TRAIN');
  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(selected.map(Number).slice(0, MAX_BESIDE));
  }
  return (
    <details className="beside" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Same records across other runs</summary>
      <ErrorNote error={runs.error} />
      {runs.loading && !runs.data && <Loading what="runs" />}
      {runs.data && others.length === 0 && <Empty>No other finished evaluation or LLM run to set beside this one.</Empty>}
      {others.length > 0 && (
        <form className="filters" onSubmit={submit} aria-label="Runs side by side">
          <label>
            Runs beside this one (Ctrl or Shift to choose several, up to {MAX_BESIDE})
            <select name="with" multiple size={Math.min(8, others.length)} value={selected} onChange={(e) => setSelected([...e.target.selectedOptions].map((o) => o.value))}>
              {others.map((r) => (
                <option key={r.id} value={r.id}>
                  {runLabel(r)} · {r.experiment.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Show side by side</button>
          {chosen.length > 0 && (
            <button type="button" onClick={() => onApply([])}>
              Show this run alone
            </button>
          )}
        </form>
      )}
    </details>
  );
}

/**
 * The first run's records (filtered as its own table is) with every chosen run's score in a
 * column, 50 per page in record order; a score on the wrong side of 0.5 for the record's label is
 * marked, so the records the runs disagree on stand out.
 */
export function RecordsAcrossRunsTable({ variables, pageHref }: { variables: AcrossRunsVariables; pageHref: (after: string | null) => string }) {
  const { data, error, loading } = useQuery(RecordsAcrossRunsQuery, variables);
  const firstRunId = variables.runIds[0];
  return (
    <>
      <ErrorNote error={error} />
      {loading && !data && <Loading what="records across runs" />}
      {data && data.recordsAcrossRuns.nodes.length === 0 && <Empty>No records of the first run match these filters.</Empty>}
      {data && data.recordsAcrossRuns.nodes.length > 0 && (
        <table className="predictions across-runs">
          <caption className="visually-hidden">
            The same records across {data.recordsAcrossRuns.runs.length} runs: each run&apos;s score, 50 records per page
          </caption>
          <thead>
            <tr>
              <th scope="col">Record</th>
              <th scope="col">Split</th>
              <th scope="col">True label</th>
              {data.recordsAcrossRuns.runs.map((run) => (
                <th scope="col" key={run.id}>
                  <a href={href('runs', run.id)}>{runLabel(run)}</a>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.recordsAcrossRuns.nodes.map((row) => (
              <tr key={row.recordId}>
                <th scope="row">
                  <a href={href('records', row.recordId, { run: firstRunId })}>{row.record.externalId}</a>
                </th>
                <td>{row.split?.toLowerCase() ?? '–'}</td>
                <td>{row.trueLabel.toLowerCase()}</td>
                {row.scores.map((score, i) => (
                  <td key={i} className="num">
                    {score === null ? (
                      <span className="muted">not predicted</span>
                    ) : (
                      <>
                        <ScoreBar score={score} />
                        {score >= 0.5 !== (row.trueLabel === 'ABNORMAL') && (
                          <span className="tag" title="on the wrong side of 0.5 for the record's label">
                            {' '}
                            ✗ wrong
                          </span>
                        )}
                      </>
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && (
        <nav aria-label="Pages" className="pager">
          {variables.after && <a href={pageHref(null)}>First page</a>}
          {data.recordsAcrossRuns.pageInfo.hasNextPage && data.recordsAcrossRuns.pageInfo.endCursor && <a href={pageHref(data.recordsAcrossRuns.pageInfo.endCursor)}>Next page</a>}
        </nav>
      )}
    </>
  );
}
