import { ApolloServer } from '@apollo/server';
import { GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enforceExecutionBudget, executionBudgetPlugin } from './limits.ts';

/** A promise the test resolves by hand: the point where a resolver's work is held. */
function gate<T>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Every macrotask turn lets Node report the rejections that nobody handled in the turn before. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('execution budget', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  /**
   * The shape of the crash seen under load: a list of non-null runs whose `dataset` comes from a
   * loader. Run 1's load is pending when the budget runs out, so run 2's `dataset` fails while
   * run 1's is still in flight; run 1's load finishes later and its `name` fails too.
   */
  function budgetedServer(maxExecutionMs: number) {
    let nowMs = 0;
    const clock = () => nowMs;
    const datasetLoad = gate<{ name: string }>();
    const dataset = new GraphQLObjectType({ name: 'Dataset', fields: { name: { type: new GraphQLNonNull(GraphQLString) } } });
    const run = new GraphQLObjectType({
      name: 'Run',
      fields: {
        id: { type: new GraphQLNonNull(GraphQLInt) },
        dataset: {
          type: new GraphQLNonNull(dataset),
          resolve: (source: { id: number }) => {
            if (source.id !== 1) return { name: `dataset of run ${source.id}` };
            // The load of run 1 is where the time goes: the budget is spent while it waits.
            nowMs += maxExecutionMs;
            return datasetLoad.promise;
          },
        },
      },
    });
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          runs: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(run))), resolve: () => [{ id: 1 }, { id: 2 }] },
          version: { type: GraphQLString, resolve: () => 'v1' },
        },
      }),
    });
    const server = new ApolloServer({ schema: enforceExecutionBudget(schema), plugins: [executionBudgetPlugin(maxExecutionMs, clock)] });
    return { server, datasetLoad, resetClock: () => (nowMs = 0) };
  }

  it('answers a request that runs past its budget with QUERY_TIMEOUT, leaves no rejection unhandled, and serves the next request', async () => {
    const { server, datasetLoad, resetClock } = budgetedServer(50);
    await server.start();
    try {
      const response = await server.executeOperation({ query: '{ runs { id dataset { name } } }' });
      datasetLoad.open({ name: 'dataset of run 1' });
      await nextTurn();
      await nextTurn();

      expect(response.body.kind).toBe('single');
      const result = response.body.kind === 'single' ? response.body.singleResult : null;
      expect(result?.data).toBeNull();
      expect(result?.errors?.map((e) => e.extensions?.code)).toContain('QUERY_TIMEOUT');
      expect(unhandled).toEqual([]);

      resetClock();
      const next = await server.executeOperation({ query: '{ version }' });
      expect(next.body.kind === 'single' ? next.body.singleResult : null).toMatchObject({ data: { version: 'v1' } });
    } finally {
      await server.stop();
    }
  });

  it('resolves every field of a request inside its budget', async () => {
    const { server, datasetLoad } = budgetedServer(50);
    await server.start();
    try {
      datasetLoad.open({ name: 'unused' });
      const response = await server.executeOperation({ query: '{ runs { id } version }' });
      expect(response.body.kind === 'single' ? response.body.singleResult : null).toEqual({ data: { runs: [{ id: 1 }, { id: 2 }], version: 'v1' } });
    } finally {
      await server.stop();
    }
  });
});
