import { graphql } from '../graphql.ts';
import { useQuery } from '../api-client.ts';
import { href } from '../router.ts';
import { dateTime } from '../components/format.ts';
import { Empty, ErrorNote, Loading, StatusBadge } from '../components/ui.tsx';

const ExperimentsQuery = graphql(`
  query Experiments {
    experiments(first: 50) {
      id
      name
      status
      createdAt
      runs(first: 100) { id status }
    }
  }
`);

export function ExperimentsView() {
  const { data, error, loading } = useQuery(ExperimentsQuery, {});
  return (
    <>
      <h1>Experiments</h1>
      <ErrorNote error={error} />
      {loading && !data && <Loading what="experiments" />}
      {data && data.experiments.length === 0 && (
        <Empty>
          No experiments yet. Run <code>npx leadwise study --profile quick</code>, or create one with the <code>createExperiment</code> mutation, and it
          appears here.
        </Empty>
      )}
      {data && data.experiments.length > 0 && (
        <table>
          <caption className="visually-hidden">Experiments, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Runs</th>
              <th scope="col">Running</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {data.experiments.map((experiment) => (
              <tr key={experiment.id}>
                <td>
                  <a href={href('experiments', experiment.id)}>{experiment.name}</a>
                </td>
                <td>
                  <StatusBadge status={experiment.status} />
                </td>
                <td className="num">{experiment.runs.length}</td>
                <td className="num">{experiment.runs.filter((r) => r.status === 'RUNNING' || r.status === 'QUEUED').length}</td>
                <td>{dateTime(experiment.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
