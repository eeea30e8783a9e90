import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type DefinitionNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import type { ApolloServerPlugin } from '@apollo/server';

/** Limits every operation must stay under; defaults sized for the paper's queries with room to spare. */
export interface QueryLimits {
  /** Deepest selection nesting allowed (`{ a { b } }` has depth 2). */
  maxDepth: number;
  /** Highest estimated cost; list fields cost their page size times their selection. */
  maxComplexity: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxComplexity: 20_000 };

/** A validation rule that rejects operations nested deeper than `maxDepth` (fragments followed). */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions as readonly DefinitionNode[]) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const depthOf = (set: SelectionSetNode, seen: Set<string>): number => {
      let deepest = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          const below = selection.selectionSet ? depthOf(selection.selectionSet, seen) : 0;
          deepest = Math.max(deepest, 1 + below);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, seen));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue;
          deepest = Math.max(deepest, depthOf(fragment.selectionSet, new Set([...seen, name])));
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Query depth ${depth} exceeds the limit of ${maxDepth}`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COMPLEX' },
            }),
          );
        }
      },
    };
  };
}

/**
 * Estimates an operation's cost before it runs (fields' own estimates from their `complexity`
 * option, 1 per field otherwise) and refuses it when over the limit, naming both numbers.
 */
export function complexityLimitPlugin(schema: GraphQLSchema, maxComplexity: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const complexity = getComplexity({
            schema,
            operationName: request.operationName ?? undefined,
            query: document,
            variables: request.variables ?? {},
            estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
          });
          if (complexity > maxComplexity) {
            throw new GraphQLError(`Query complexity ${complexity} exceeds the limit of ${maxComplexity}; ask for smaller pages or fewer fields`, {
              extensions: { code: 'QUERY_TOO_COMPLEX' },
            });
          }
        },
      };
    },
  };
}

/** Cost of a paginated list: the page size times what each item selects (at least 1 per item). */
export function pageComplexity({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }): number {
  const first = typeof args.first === 'number' ? args.first : 50;
  return 1 + first * Math.max(childComplexity, 1);
}
