import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The committed SDL: what API reviewers read. */
export const SCHEMA_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema.graphql');
