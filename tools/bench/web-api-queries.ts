/** The web app's list queries, shared by web-api.ts (HTTP, 10 clients) and web-api-cpu.ts (in process). */

// The documents as apps/web sends them (src/views/*.tsx), with the app's page sizes.
const PREDICTIONS = `query Predictions($runId: Int!, $after: String, $datasetId: Int, $split: Split, $trueLabel: BinaryLabel, $misclassified: Boolean, $minScore: Float, $maxScore: Float, $orderBy: PredictionOrder!) {
  run(id: $runId) { id name model seed kind experiment { id name } }
  datasets(first: 100) { id name }
  predictions(runId: $runId, first: 50, after: $after, datasetId: $datasetId, split: $split, trueLabel: $trueLabel, misclassified: $misclassified, minScore: $minScore, maxScore: $maxScore, orderBy: $orderBy) {
    totalCount
    nodes { id recordId score trueLabel predictedLabel misclassified split record { id externalId ageYears sex } }
    pageInfo { hasNextPage endCursor } } }`;
/** Ids the queries are sent with. */
export interface BenchIds {
  runA: number;
  runB: number;
  recordId: number;
  experimentId: number;
}

/** Each list query of the web app: its name in the results, its document and its variables. */
export const WEB_LIST_QUERIES: [string, string, (ids: BenchIds) => Record<string, unknown>][] = [
  ['experiments list', `query Experiments { experiments(first: 50) { id name status createdAt runs(first: 100) { id status } } }`, () => ({})],
  [
    'experiment runs',
    `query Experiment($id: Int!) { experiment(id: $id) { id name status createdAt runs(first: 100) { id name kind model seed status dataset { id name } job { progressDone progressTotal } } } }`,
    (ids) => ({ id: ids.experimentId }),
  ],
  ['predictions, first page', PREDICTIONS, (ids) => ({ runId: ids.runA, orderBy: 'ID' })],
  ['predictions, misclassified by score', PREDICTIONS, (ids) => ({ runId: ids.runA, misclassified: true, orderBy: 'SCORE_DESC' })],
  ['predictions, test split, abnormal, score 0.3-0.7', PREDICTIONS, (ids) => ({ runId: ids.runA, datasetId: 1, split: 'TEST', trueLabel: 'ABNORMAL', minScore: 0.3, maxScore: 0.7, orderBy: 'SCORE_ASC' })],
  [
    'record: every model\'s score',
    `query RecordDetail($id: Int!) { record(id: $id) { id externalId label split ageYears sex samplingRateHz lengthSamples signalPath datasetId }
      recordPredictions(recordId: $id) { id runId score trueLabel predictedLabel misclassified run { id name model seed kind status dataset { name } } }
      llmResponses(recordId: $id, first: 50) { nodes { id model provider imageStyle promptName repeatIndex parseStatus parsedLabel parsedScore scoreSource rawText error } } }`,
    (ids) => ({ id: ids.recordId }),
  ],
  ['compare: runs to choose from', `query ScoredRuns { runs(status: FINISHED, first: 500) { id name model seed kind } }`, () => ({})],
  [
    'compare: disagreements',
    `query Disagreements($a: Int!, $b: Int!) { runDisagreements(runA: $a, runB: $b, first: 20) { recordId trueLabel scoreA scoreB difference record { externalId } } }`,
    (ids) => ({ a: ids.runA, b: ids.runB }),
  ],
];

