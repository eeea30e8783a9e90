import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type AuthChecker } from 'type-graphql';
import type { ApiContext } from './context.ts';
import { enforceExecutionBudget } from './limits.ts';
import { AttributionResolver } from './attributions/attribution.resolver.ts';
import { ComparisonResolver } from './comparisons/comparison.resolver.ts';
import { DatasetResolver } from './datasets/dataset.resolver.ts';
import { ExperimentResolver } from './experiments/experiment.resolver.ts';
import { JobResolver } from './jobs/job.resolver.ts';
import { LlmResponseResolver } from './llm-responses/llm-response.resolver.ts';
import { PredictionConnectionResolver, PredictionResolver } from './predictions/prediction.resolver.ts';
import { RecordResolver } from './records/record.resolver.ts';
import { RunResolver } from './runs/run.resolver.ts';
import { StudySummaryResolver } from './study-summary/study-summary.resolver.ts';
import { DisagreementResolver } from './comparisons/disagreement.resolver.ts';
import { RecordPredictionResolver } from './predictions/record-prediction.resolver.ts';
import { RecordPageResolver } from './record-pages/record-page.resolver.ts';
import { RunCurvesResolver } from './run-curves/run-curves.resolver.ts';

/** Mutations carry `@Authorized()`: they need the API key whatever the query policy. */
const authChecker: AuthChecker<ApiContext> = ({ context }) => context.auth.hasValidKey;

let schemaPromise: Promise<GraphQLSchema> | null = null;

/** The GraphQL schema, built once per process (type-graphql's metadata is global). */
export function buildLeadwiseSchema(): Promise<GraphQLSchema> {
  schemaPromise ??= buildSchema({
    resolvers: [
      DatasetResolver,
      RecordResolver,
      ExperimentResolver,
      RunResolver,
      PredictionResolver,
      PredictionConnectionResolver,
      AttributionResolver,
      ComparisonResolver,
      LlmResponseResolver,
      JobResolver,
      StudySummaryResolver,
      RunCurvesResolver,
      RecordPageResolver,
      RecordPredictionResolver,
      DisagreementResolver,
    ],
    authChecker,
    // class-validator on every input and args class; unknown properties cannot reach it through GraphQL.
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
  }).then((schema) => {
    // type-graphql has no option for the root types' descriptions.
    schema.getQueryType()!.description = 'Read access to Leadwise: datasets, experiments, runs, predictions, attributions, comparisons and the study summary.';
    schema.getMutationType()!.description = 'Changes: create experiments, launch and cancel runs. Every mutation needs the API key.';
    return enforceExecutionBudget(schema);
  });
  return schemaPromise;
}

/** SDL as committed in apps/api/schema.graphql: sorted, so the diff of an API change is minimal. */
export function printLeadwiseSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
