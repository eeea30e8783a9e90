import { useState, type FormEvent } from 'react';
import { graphql } from '../graphql.ts';
import { ApiError, request, storedApiKey, useQuery } from '../api-client.ts';
import { href } from '../router.ts';
import { ErrorNote } from '../components/ui.tsx';

const DatasetsQuery = graphql(`
  query LaunchDatasets {
    datasets(first: 100) { id name }
  }
`);

const LaunchRunMutation = graphql(`
  mutation LaunchRun($input: LaunchRunInput!) {
    launchRun(input: $input) { id status run { id } }
  }
`);

const MODELS = ['leadgroup', 'resnet18', 'densenet121', 'vgg16'];

/** Queues a TRAIN run (its evaluations follow); the API refuses it without the key set in the header bar. */
export function LaunchRunForm({ experimentId, onLaunched }: { experimentId: number; onLaunched: () => void }) {
  const datasets = useQuery(DatasetsQuery, {});
  const [model, setModel] = useState(MODELS[1]!);
  const [dataset, setDataset] = useState('');
  const [seed, setSeed] = useState('1');
  const [epochs, setEpochs] = useState('2');
  const [error, setError] = useState<ApiError | null>(null);
  const [launched, setLaunched] = useState<{ jobId: number; runId: number | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const chosenDataset = dataset || datasets.data?.datasets[0]?.name || '';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { launchRun } = await request(LaunchRunMutation, {
        input: { experimentId, kind: 'TRAIN', model, dataset: chosenDataset, seed: Number(seed), params: { epochs: Number(epochs) } },
      });
      setLaunched({ jobId: launchRun.id, runId: launchRun.run?.id ?? null });
      onLaunched();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(String(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="launch" onSubmit={submit}>
      {!storedApiKey() && <p className="muted">Launching needs the API key: enter it in the bar at the top (it is kept for this tab only).</p>}
      <label>
        Model
        <select value={model} onChange={(e) => setModel(e.target.value)}>
          {MODELS.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      </label>
      <label>
        Dataset
        <select value={chosenDataset} onChange={(e) => setDataset(e.target.value)}>
          {(datasets.data?.datasets ?? []).map((d) => (
            <option key={d.id}>{d.name}</option>
          ))}
        </select>
      </label>
      <label>
        Seed
        <input type="number" min={0} value={seed} onChange={(e) => setSeed(e.target.value)} />
      </label>
      <label>
        Epochs
        <input type="number" min={1} max={200} value={epochs} onChange={(e) => setEpochs(e.target.value)} />
      </label>
      <button type="submit" disabled={busy || !chosenDataset}>
        Launch training
      </button>
      <ErrorNote error={error} />
      {launched && (
        <p role="status">
          Queued job {launched.jobId}
          {launched.runId !== null && (
            <>
              {' '}
              as <a href={href('runs', launched.runId)}>run {launched.runId}</a>
            </>
          )}
          .
        </p>
      )}
    </form>
  );
}
