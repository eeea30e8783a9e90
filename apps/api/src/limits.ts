import {
  GraphQLError,
  GraphQLObjectType,
  Kind,
  defaultFieldResolver,
  getNullableType,
  isListType,
  visit,
  type ASTVisitor,
  type DefinitionNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import type { ApolloServerPlugin } from '@apollo/server';

/** Limits every operation must stay under; defaults sized for the paper's queries with room to spare. */
export interface QueryLimits {
  /** Deepest selection nesting allowed (`{ a { b } }` has depth 2). */
  maxDepth: number;
  /** Highest estimated cost; list fields cost their cap (`first` or `maxItems`) times their selection. */
  maxComplexity: number;
  /** Most aliased fields in one document: aliases multiply a cheap field without adding depth. */
  maxAliases: number;
  /** Most lexical tokens in one document; the parser stops there, before any validation runs. */
  maxTokens: number;
  /** Wall time one operation may spend resolving fields; fields resolved after it fail with QUERY_TIMEOUT. */
  maxExecutionMs: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxComplexity: 20_000, maxAliases: 50, maxTokens: 5_000, maxExecutionMs: 10_000 };

/** The GraphQL-over-HTTP answer for a request the client got wrong: refused before it runs. */
const BAD_REQUEST = { status: 400 };

/**
 * Extension a list field without a `first` argument declares: the most items it can return
 * (`@Extensions({ maxItems: 5 })`), so the cost estimate can multiply by it.
 */
export interface ListFieldExtensions {
  maxItems?: number;
}

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

/** Refuses documents with more than `maxAliases` aliased fields, before any field is costed or run. */
export function aliasLimitPlugin(maxAliases: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document }) {
          let aliases = 0;
          visit(document, {
            Field(node) {
              if (node.alias) aliases += 1;
            },
          });
          if (aliases > maxAliases) {
            throw new GraphQLError(`${aliases} aliased fields exceed the limit of ${maxAliases}; send several requests instead`, {
              extensions: { code: 'QUERY_TOO_COMPLEX', http: BAD_REQUEST },
            });
          }
        },
      };
    },
  };
}

/**
 * The schema has no subscription type; graphql-js leaves that to execution, which Apollo reports as
 * a server error. Refusing it in validation makes it the client's 400.
 */
export function noSubscriptionsRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (node.operation === 'subscription' && !context.getSchema().getSubscriptionType()) {
        context.reportError(
          new GraphQLError('This API has no subscriptions; poll `job(id)` for progress instead', { nodes: [node], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
        );
      }
    },
  };
}

/**
 * NUL cannot be stored in PostgreSQL text and forges log lines; no Leadwise argument needs it, so
 * strings holding NUL, inline or in variables, are refused as input before anything runs.
 */
export function nulInputPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let inline = false;
          visit(document, {
            StringValue(node) {
              if (node.value.includes('\u0000')) inline = true;
            },
          });
          if (inline || (request.variables && containsNul(request.variables))) {
            throw new GraphQLError('String arguments must not contain NUL characters', { extensions: { code: 'BAD_USER_INPUT', http: BAD_REQUEST } });
          }
        },
      };
    },
  };
}

function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  const items = Array.isArray(value) ? value : Object.entries(value).flat();
  return items.some((item) => containsNul(item, depth + 1));
}

/** The most items a list field can return: its `first` argument, else its declared `maxItems`. */
export function listCap(field: { args: readonly { name: string }[]; extensions: Readonly<Record<string, unknown>> }, args: Record<string, unknown>): number | undefined {
  if (field.args.some((a) => a.name === 'first') && typeof args.first === 'number') return args.first;
  const maxItems = (field.extensions as ListFieldExtensions).maxItems;
  return typeof maxItems === 'number' ? maxItems : undefined;
}

/** Prices a list field as 1 plus its cap times what each item selects; `undefined` for other fields. */
export const UNCAPPED_LIST_ITEMS = 1_000;
function listCapEstimator(): ComplexityEstimator {
  return ({ field, args, childComplexity }) => {
    if (!isListType(getNullableType(field.type))) return undefined;
    // Every list in the schema declares a cap (schema.spec.ts checks); one that slipped through is priced high.
    const cap = listCap(field, args) ?? UNCAPPED_LIST_ITEMS;
    return 1 + cap * Math.max(childComplexity, 1);
  };
}

/**
 * Estimates an operation's cost before it runs (fields' own estimates from their `complexity`
 * option, lists by their cap, 1 per field otherwise) and refuses it when over the limit, naming
 * both numbers.
 */
export function complexityLimitPlugin(schema: GraphQLSchema, maxComplexity: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let complexity: number;
          try {
            complexity = getComplexity({
              schema,
              operationName: request.operationName ?? undefined,
              query: document,
              variables: request.variables ?? {},
              estimators: [fieldExtensionsEstimator(), listCapEstimator(), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch (error) {
            // graphql-query-complexity refuses documents that expand to too many nodes (fragments reused).
            throw new GraphQLError(`Query cannot be costed: ${error instanceof Error ? error.message : String(error)}`, {
              extensions: { code: 'QUERY_TOO_COMPLEX', http: BAD_REQUEST },
            });
          }
          if (complexity > maxComplexity) {
            throw new GraphQLError(`Query complexity ${complexity} exceeds the limit of ${maxComplexity}; ask for smaller pages or fewer fields`, {
              extensions: { code: 'QUERY_TOO_COMPLEX', http: BAD_REQUEST },
            });
          }
        },
      };
    },
  };
}

/** Where `executionBudgetPlugin` leaves an operation's deadline for the resolvers `enforceExecutionBudget` wraps. */
const EXECUTION_BUDGET = Symbol('leadwise.executionBudget');

interface ExecutionBudget {
  maxExecutionMs: number;
  deadlineMs: number;
  now: () => number;
}

function budgetExceeded({ maxExecutionMs }: ExecutionBudget): GraphQLError {
  return new GraphQLError(`Query ran past its time budget of ${maxExecutionMs} ms; ask for smaller pages or fewer fields`, {
    extensions: { code: 'QUERY_TIMEOUT' },
  });
}

type BudgetedContext = { [EXECUTION_BUDGET]?: ExecutionBudget } | null | undefined;

/**
 * Wraps every field resolver of the schema (once, in place) so that a field resolved after its
 * operation's deadline fails with QUERY_TIMEOUT, and so that no resolver error is thrown
 * synchronously: graphql-js (16.x) abandons the pending items of a list when a later item fails
 * synchronously past a non-null boundary, and a pending item that then fails (a DataLoader load
 * finishing after the deadline) rejected with nobody listening, which killed the process. As
 * rejected promises, every failure is awaited by the list's `Promise.all` and becomes a GraphQL error.
 */
export function enforceExecutionBudget(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context: BudgetedContext, info) => {
        const budget = context?.[EXECUTION_BUDGET];
        if (budget && budget.now() >= budget.deadlineMs) return Promise.reject(budgetExceeded(budget));
        try {
          return resolve(source, args, context, info);
        } catch (error) {
          return Promise.reject(error);
        }
      };
    }
  }
  return schema;
}

/**
 * Gives every operation a time budget (`now` is the clock, replaceable in tests): fields resolved
 * after it fail with QUERY_TIMEOUT (through `enforceExecutionBudget`, which the schema must carry),
 * so a slow request gives its CPU and connections back instead of stalling others.
 */
export function executionBudgetPlugin(maxExecutionMs: number, now: () => number = Date.now): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async executionDidStart({ contextValue }) {
          const budget: ExecutionBudget = { maxExecutionMs, deadlineMs: now() + maxExecutionMs, now };
          (contextValue as { [EXECUTION_BUDGET]?: ExecutionBudget })[EXECUTION_BUDGET] = budget;
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

/** Cost of a connection's `nodes`: the items' selection once, as the connection field multiplies it by `first`. */
export function pageNodesComplexity({ childComplexity }: { childComplexity: number }): number {
  return childComplexity;
}
