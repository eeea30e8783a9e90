import { useEffect, useState } from 'react';
import { graphql, type ResultOf } from '../graphql.ts';
import { authHeaders, useQuery } from '../api-client.ts';
import { href, navigate, type Route } from '../router.ts';
import { fixed, runLabel } from '../components/format.ts';
import { Empty, ErrorNote, Loading, Section } from '../components/ui.tsx';
import { ScoreBar } from './predictions-view.tsx';

const RecordQuery = graphql(`
  query RecordDetail($id: Int!) {
    record(id: $id) { id externalId label split ageYears sex samplingRateHz lengthSamples signalPath datasetId }
    recordPredictions(recordId: $id) {
      id
      runId
      score
      trueLabel
      predictedLabel
      misclassified
      run { id name model seed kind status dataset { name } }
    }
    llmResponses(recordId: $id, first: 50) {
      nodes { id model provider imageStyle promptName repeatIndex parseStatus parsedLabel parsedScore scoreSource rawText error }
    }
  }
`);

const PageQuery = graphql(`
  query RecordPage($id: Int!, $style: PageStyle!) {
    recordPage(recordId: $id, style: $style) {
      imageUrl
      widthPx
      heightPx
      leadBoxes { lead groupName kind x0 y0 x1 y1 }
    }
  }
`);

const AttributionsQuery = graphql(`
  query RecordAttributions($runId: Int!, $recordId: Int!) {
    leadGroupAttributions(runId: $runId, recordId: $recordId) { groupName attentionWeight occlusionDelta }
  }
`);

type Attribution = ResultOf<typeof AttributionsQuery>['leadGroupAttributions'][number];
type Weighting = 'attention' | 'occlusion';

export function RecordView({ id, route }: { id: number; route: Route }) {
  const runId = Number(route.query.get('run')) || null;
  const style = route.query.get('style') === 'none' ? 'NONE' : 'GRID';
  const { data, error, loading } = useQuery(RecordQuery, { id });
  const setQuery = (changes: Record<string, string | number | null>) => navigate(href('records', id, { ...Object.fromEntries(route.query), ...changes }));

  if (loading && !data) return <Loading what="the record" />;
  if (!data) return <ErrorNote error={error} />;
  if (!data.record) return <Empty>Record {id} does not exist.</Empty>;
  const { record, recordPredictions, llmResponses } = data;
  const selectedRun = recordPredictions.find((p) => p.runId === runId)?.run ?? null;

  return (
    <>
      <p className="breadcrumbs">
        <a href={href('')}>Experiments</a>
        {selectedRun && (
          <>
            {' / '}
            <a href={href('runs', selectedRun.id)}>{runLabel(selectedRun)}</a> / <a href={href('runs', selectedRun.id, 'predictions')}>predictions</a>
          </>
        )}{' '}
        / record {record.externalId}
      </p>
      <h1>
        Record {record.externalId} <span className={`badge badge-${record.label.toLowerCase()}`}>{record.label.toLowerCase()}</span>
      </h1>
      <dl className="facts">
        <dt>Split</dt>
        <dd>{record.split?.toLowerCase() ?? '–'}</dd>
        <dt>Age</dt>
        <dd>{record.ageYears ?? '–'}</dd>
        <dt>Sex</dt>
        <dd>{record.sex ?? '–'}</dd>
        <dt>Signal</dt>
        <dd>
          {record.lengthSamples} samples at {record.samplingRateHz} Hz ({record.signalPath})
        </dd>
      </dl>
      <div className="page-controls" role="group" aria-label="Page display">
        <label>
          Paper
          <select value={style} onChange={(e) => setQuery({ style: e.target.value === 'NONE' ? 'none' : null })}>
            <option value="GRID">red grid</option>
            <option value="NONE">grid-free</option>
          </select>
        </label>
        <label>
          Lead-group weights of
          <select value={runId ?? ''} onChange={(e) => setQuery({ run: e.target.value || null })}>
            <option value="">no run</option>
            {recordPredictions.map((p) => (
              <option key={p.runId} value={p.runId}>
                {runLabel(p.run)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <EcgPage recordId={record.id} style={style} runId={runId} />
      <Section title="Every model's score">
        {recordPredictions.length === 0 ? (
          <Empty>No run has predicted this record yet.</Empty>
        ) : (
          <table>
            <caption className="visually-hidden">Scores of every run that predicted the record</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Dataset</th>
                <th scope="col">Predicted</th>
                <th scope="col">Score (P abnormal)</th>
              </tr>
            </thead>
            <tbody>
              {recordPredictions.map((p) => (
                <tr key={p.id} className={p.misclassified ? 'misclassified' : undefined}>
                  <td>
                    <a href={href('runs', p.runId)}>{runLabel(p.run)}</a>
                  </td>
                  <td>{p.run.dataset?.name ?? '–'}</td>
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
      </Section>
      <Section title="LLM answers">
        {llmResponses.nodes.length === 0 ? (
          <Empty>No LLM has been shown this page yet (`leadwise llm` or an LLM run).</Empty>
        ) : (
          <ul className="llm-answers">
            {llmResponses.nodes.map((r) => (
              <li key={r.id}>
                <p>
                  <strong>{r.model}</strong> <span className="muted">({r.provider}, {r.imageStyle === 'none' ? 'grid-free' : 'grid'} page, prompt {r.promptName}, repeat {r.repeatIndex})</span>
                </p>
                <p>
                  {r.parseStatus === 'parsed' ? (
                    <>
                      Label <strong>{r.parsedLabel?.toLowerCase() ?? '–'}</strong>, P(abnormal) {fixed(r.parsedScore)} <span className="muted">from {r.scoreSource}</span>
                    </>
                  ) : (
                    <span className="error">{r.parseStatus === 'error' ? `No answer: ${r.error ?? 'error'}` : 'Answer could not be parsed'}</span>
                  )}
                </p>
                {r.rawText && <blockquote>{narrative(r.rawText)}</blockquote>}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

/** The narrative of a JSON answer (`{"label", "probability", "narrative"}`), else the answer as given. */
function narrative(rawText: string): string {
  try {
    const parsed = JSON.parse(rawText) as { narrative?: unknown };
    if (typeof parsed.narrative === 'string') return parsed.narrative;
  } catch {
    // Free text: shown as it came.
  }
  return rawText;
}

function EcgPage({ recordId, style, runId }: { recordId: number; style: 'GRID' | 'NONE'; runId: number | null }) {
  const page = useQuery(PageQuery, { id: recordId, style });
  const attributions = useQuery(AttributionsQuery, { runId: runId ?? 0, recordId }, { skip: runId === null });
  const [weighting, setWeighting] = useState<Weighting>('attention');
  const imageUrl = page.data?.recordPage?.imageUrl ?? null;
  const src = useImageObjectUrl(imageUrl);
  const groups = runId === null ? [] : (attributions.data?.leadGroupAttributions ?? []);
  const hasAttention = groups.some((g) => g.attentionWeight !== null);
  const hasOcclusion = groups.some((g) => g.occlusionDelta !== null);
  const mode: Weighting = weighting === 'attention' && !hasAttention && hasOcclusion ? 'occlusion' : weighting;
  const weights = groupWeights(groups, mode);

  if (page.loading && !page.data) return <Loading what="the ECG page (rendered on first view)" />;
  if (page.error) return <ErrorNote error={page.error} />;
  const recordPage = page.data?.recordPage;
  if (!recordPage) return <Empty>No page for this record.</Empty>;
  return (
    <figure className="ecg-page">
      <figcaption>
        12-lead page, {style === 'GRID' ? 'red grid' : 'grid-free'}
        {runId !== null && groups.length === 0 && !attributions.loading && ' · this run stored no lead-group attributions for the record'}
        {weights.size > 0 && ` · boxes shaded from the lightest to the heaviest group by ${mode} (see the table below for the values)`}
      </figcaption>
      {groups.length > 0 && (hasAttention || hasOcclusion) && (
        <fieldset className="weighting">
          <legend>Colour lead boxes by</legend>
          <label>
            <input type="radio" name="weighting" value="attention" checked={mode === 'attention'} disabled={!hasAttention} onChange={() => setWeighting('attention')} /> attention
          </label>
          <label>
            <input type="radio" name="weighting" value="occlusion" checked={mode === 'occlusion'} disabled={!hasOcclusion} onChange={() => setWeighting('occlusion')} /> occlusion
          </label>
        </fieldset>
      )}
      <div className="page-stack" style={{ aspectRatio: `${recordPage.widthPx} / ${recordPage.heightPx}` }}>
        {src ? <img src={src} alt={`ECG page of record ${recordId}`} width={recordPage.widthPx} height={recordPage.heightPx} /> : <Loading what="image" />}
        <svg className="overlay" viewBox="0 0 1 1" preserveAspectRatio="none" role="img" aria-label="Lead boxes coloured by lead-group weight">
          {recordPage.leadBoxes.map((box) => {
            const weight = weights.get(box.groupName);
            return (
              <rect
                key={`${box.lead}-${box.kind}`}
                data-lead={box.lead}
                data-group={box.groupName}
                x={box.x0}
                y={box.y0}
                width={box.x1 - box.x0}
                height={box.y1 - box.y0}
                className="lead-box"
                style={weight === undefined ? undefined : { fill: '#D55E00', fillOpacity: 0.06 + 0.34 * weight }}
              >
                <title>
                  {box.lead} ({box.groupName}){weight === undefined ? '' : `: relative weight ${fixed(weight, 2)}`}
                </title>
              </rect>
            );
          })}
        </svg>
      </div>
      {groups.length > 0 && (
        <table className="compact">
          <caption>Lead-group weights of the selected run</caption>
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Attention</th>
              <th scope="col">Occlusion Δ score</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g.groupName}>
                <th scope="row">{g.groupName}</th>
                <td className="num">{fixed(g.attentionWeight)}</td>
                <td className="num">{fixed(g.occlusionDelta)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}

/**
 * Weights scaled to 0..1 between the lightest and the heaviest group (attention shares sit near
 * 0.2 each, so scaling by the largest alone would colour every box the same); occlusion by how
 * far masking the group moved the score. All equal: every box at the middle of the scale.
 */
function groupWeights(groups: Attribution[], mode: Weighting): Map<string, number> {
  const raw = groups.flatMap((g) => {
    const value = mode === 'attention' ? g.attentionWeight : g.occlusionDelta === null ? null : Math.abs(g.occlusionDelta);
    return value === null ? [] : [[g.groupName, value] as const];
  });
  const values = raw.map(([, v]) => v);
  const low = Math.min(...values);
  const high = Math.max(...values);
  return new Map(raw.map(([name, v]) => [name, high > low ? (v - low) / (high - low) : 0.5]));
}

/** Fetches the page PNG with the API key (when the server wants one for queries) and shows it from a blob URL. */
function useImageObjectUrl(url: string | null): string | null {
  const [objectUrl, setObjectUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!url) return;
    const controller = new AbortController();
    let created: string | null = null;
    fetch(url, { headers: authHeaders(), signal: controller.signal })
      .then((response) => (response.ok ? response.blob() : null))
      .then((blob) => {
        if (!blob) return;
        created = URL.createObjectURL(blob);
        setObjectUrl(created);
      })
      .catch(() => undefined);
    return () => {
      controller.abort();
      if (created) URL.revokeObjectURL(created);
      setObjectUrl(null);
    };
  }, [url]);
  return objectUrl;
}
