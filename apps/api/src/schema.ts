import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { validateOrReject, type ValidationError, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError, buildSchema, type AuthChecker, type ValidatorFn } from 'type-graphql';
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
import { RecordsAcrossRunsResolver } from './records/records-across-runs.resolver.ts';
import { RunResolver } from './runs/run.resolver.ts';
import { StudySummaryResolver } from './study-summary/study-summary.resolver.ts';
import { DisagreementResolver } from './comparisons/disagreement.resolver.ts';
import { RecordPredictionResolver } from './predictions/record-prediction.resolver.ts';
import { RecordPageResolver } from './record-pages/record-page.resolver.ts';
import { RunCurvesResolver } from './run-curves/run-curves.resolver.ts';

/** Mutations carry `@Authorized()`: they need the API key whatever the query policy. */
const authChecker: AuthChecker<ApiContext> = ({ context }) => context.auth.hasValidKey;

// type-graphql's own defaults for class-validator, as it would pass them, plus ours.
const VALIDATOR_OPTIONS: ValidatorOptions = { forbidUnknownValues: false, skipMissingProperties: true, validationError: { target: false, value: false } };

/**
 * class-validator on every input and args object, as type-graphql's built-in validation does it,
 * but imported once: the built-in one runs `await import('class-validator')` for every argument of
 * every field, which under the tsx loader that `leadwise serve` runs in is a round trip to the
 * loader's thread (measured: about a tenth of the CPU of a 500-run list).
 */
const validateArgument: ValidatorFn = async (argValue) => {
  const values: unknown[] = Array.isArray(argValue) ? argValue : [argValue];
  const objects = values.filter((value): value is object => value !== null && typeof value === 'object');
  try {
    await Promise.all(objects.map((value) => validateOrReject(value, VALIDATOR_OPTIONS)));
  } catch (error) {
    throw new ArgumentValidationError(error as ValidationError[]);
  }
};

let schemaPromise: Promise<GraphQLSchema> | null = null;

/** The GraphQL schema, built once per process (type-graphql's metadata is global). */
export function buildLeadwiseSchema(): Promise<GraphQLSchema> {
  schemaPromise ??= buildSchema({
    resolvers: [
      DatasetResolver,
      RecordResolver,
      RecordsAcrossRunsResolver,
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
    validateFn: validateArgument,
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
