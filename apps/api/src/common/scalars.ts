import { GraphQLDateTime, GraphQLJSONObject } from 'graphql-scalars';

/** ISO-8601 timestamps with time zone. */
export const DateTimeScalar = GraphQLDateTime;
/** Free-form JSON objects (experiment configs, job payloads and checkpoints). */
export const JsonObjectScalar = GraphQLJSONObject;
