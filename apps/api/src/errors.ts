import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';

/**
 * Errors a client caused and may read in full. Anything else that reaches the client is masked
 * (see `formatError`): internals such as SQL, file paths or stack traces never leave the server.
 */
export class BadInputError extends GraphQLError {
  constructor(message: string, field?: string) {
    super(message, { extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } });
  }
}

export class NotFoundError extends GraphQLError {
  constructor(what: string, id: string | number) {
    super(`${what} ${JSON.stringify(String(id))} does not exist`, { extensions: { code: 'NOT_FOUND' } });
  }
}

export class ConflictError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: 'CONFLICT' } });
  }
}

const CLIENT_CODES = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CONFLICT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'QUERY_TOO_COMPLEX',
  'QUERY_TIMEOUT',
]);

export interface ErrorLogger {
  (error: unknown): void;
}

/**
 * Apollo `formatError`: passes client errors through (with class-validator's constraints turned
 * into readable field messages) and replaces everything else by a generic message with an id that
 * the server log carries next to the real error.
 */
export function createErrorFormatter(log: ErrorLogger) {
  let errorSeq = 0;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof ArgumentValidationError) {
      const problems = original.extensions.validationErrors as Array<{
        property: string;
        constraints?: Record<string, string>;
        children?: Array<{ property: string; constraints?: Record<string, string> }>;
      }>;
      const details = flattenValidation(problems);
      return {
        message: `Invalid input: ${details.map((d) => `${d.field}: ${d.problem}`).join('; ')}`,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'BAD_USER_INPUT', fields: details },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code)) return formatted;
    errorSeq += 1;
    const errorId = `${Date.now().toString(36)}-${errorSeq}`;
    log({ errorId, error: original });
    return {
      message: `Internal server error (id ${errorId}); the server log has the details`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    };
  };
}

interface ValidationProblem {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationProblem[];
}

function flattenValidation(problems: ValidationProblem[], prefix = ''): Array<{ field: string; problem: string }> {
  const out: Array<{ field: string; problem: string }> = [];
  for (const p of problems) {
    const field = prefix ? `${prefix}.${p.property}` : p.property;
    for (const message of Object.values(p.constraints ?? {})) out.push({ field, problem: message });
    if (p.children?.length) out.push(...flattenValidation(p.children, field));
  }
  return out;
}
