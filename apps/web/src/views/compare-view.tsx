import { graphql } from '../graphql.ts';
import { useQuery } from '../api-client.ts';
import { href, navigate, type Route } from '../router.ts';
import { fixed, runLabel, withCi } from '../components/format.ts';
import { Empty, ErrorNote, Loading, Section } from '../components/ui.tsx';
import { ScoreBar } from './predictions-view.tsx';

const ScoredRunsQuery = graphql(`
  query ScoredRuns {
    runs(status: FINISHED, first: 500) { id name model seed kind }
  }
`);

const ComparisonQuery = graphql(`
  query Comparison($a: Int!, $b: Int!) {
    compareRuns(runA: $a, runB: $b) { n positives aucA aucB difference ciLow ciHigh level z pValue note method }
    runDisagreements(runA: $a, runB: $b, first: 20) {
      recordId
      trueLabel
      scoreA
      scoreB
      difference
      record { externalId }
    }
  }
`);

export function CompareView({ route }: { route: Route }) {
  const runs = useQuery(ScoredRunsQuery, {});
  const a = Number(route.query.get('a')) || null;
  const b = Number(route.query.get('b')) || null;
  const scored = (runs.data?.runs ?? []).filter((r) => r.kind !== 'TRAIN');
  const choose = (key: 'a' | 'b', value: string) => navigate(href('compare', { a, b, [key]: value || null }));
  const option = (r: (typeof scored)[number]) => (
    <option key={r.id} value={r.id}>
      {runLabel(r)}
    </option>
  );
  return (
    <>
      <h1>Compare two runs</h1>
      <ErrorNote error={runs.error} />
      {runs.loading && !runs.data && <Loading what="runs" />}
      {runs.data && scored.length < 2 && <Empty>Comparing needs two finished evaluation or LLM runs; this server has {scored.length}.</Empty>}
      {scored.length >= 2 && (
        <div className="filters" role="group" aria-label="Runs to compare">
          <label>
            Run A
            <select value={a ?? ''} onChange={(e) => choose('a', e.target.value)}>
              <option value="">choose…</option>
              {scored.map(option)}
            </select>
          </label>
          <label>
            Run B
            <select value={b ?? ''} onChange={(e) => choose('b', e.target.value)}>
              <option value="">choose…</option>
              {scored.map(option)}
            </select>
          </label>
        </div>
      )}
      {a !== null && b !== null && <Comparison a={a} b={b} />}
    </>
  );
}

function Comparison({ a, b }: { a: number; b: number }) {
  const { data, error, loading } = useQuery(ComparisonQuery, { a, b });
  if (loading && !data) return <Loading what="the comparison" />;
  if (error) return <ErrorNote error={error} />;
  if (!data) return null;
  const c = data.compareRuns;
  return (
    <>
      <Section title="DeLong paired test">
        <table className="compact" aria-describedby="delong-note">
          <caption className="visually-hidden">ROC-AUC of both runs on their shared records</caption>
          <tbody>
            <tr>
              <th scope="row">Shared records (abnormal)</th>
              <td className="num">
                {c.n} ({c.positives})
              </td>
            </tr>
            <tr>
              <th scope="row">ROC-AUC A</th>
              <td className="num">{fixed(c.aucA)}</td>
            </tr>
            <tr>
              <th scope="row">ROC-AUC B</th>
              <td className="num">{fixed(c.aucB)}</td>
            </tr>
            <tr>
              <th scope="row">A − B ({Math.round(c.level * 100)}% CI)</th>
              <td className="num" data-testid="delong-difference">
                {withCi(c.difference, c.ciLow, c.ciHigh)}
              </td>
            </tr>
            <tr>
              <th scope="row">z, p</th>
              <td className="num">
                {fixed(c.z, 2)}, {c.pValue < 0.001 ? '<0.001' : fixed(c.pValue)}
              </td>
            </tr>
          </tbody>
        </table>
        <p id="delong-note" className="muted">
          {c.method}
          {c.note ? `. ${c.note}` : ''}
        </p>
      </Section>
      <Section title="Where they disagree most">
        {data.runDisagreements.length === 0 ? (
          <Empty>The runs share no records.</Empty>
        ) : (
          <table>
            <caption className="visually-hidden">Shared records by the gap between the two runs' scores</caption>
            <thead>
              <tr>
                <th scope="col">Record</th>
                <th scope="col">True label</th>
                <th scope="col">Score A</th>
                <th scope="col">Score B</th>
                <th scope="col">A − B</th>
              </tr>
            </thead>
            <tbody>
              {data.runDisagreements.map((d) => (
                <tr key={d.recordId}>
                  <td>
                    <a href={href('records', d.recordId, { run: a })}>{d.record.externalId}</a>
                  </td>
                  <td>{d.trueLabel.toLowerCase()}</td>
                  <td className="num">
                    <ScoreBar score={d.scoreA} />
                  </td>
                  <td className="num">
                    <ScoreBar score={d.scoreB} />
                  </td>
                  <td className="num">{fixed(d.difference)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}
