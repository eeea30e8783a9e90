import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './graphql-env.d.ts';

/**
 * `graphql()` parses a document and infers its result and variable types from the committed
 * apps/api/schema.graphql (via src/graphql-env.d.ts; `npm run generate -w @leadwise/web` after an
 * API change). A query that asks for a field the API lacks fails the type check, not the user.
 */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string; JSONObject: Record<string, unknown> };
}>();

export type { FragmentOf, ResultOf, VariablesOf } from 'gql.tada';
