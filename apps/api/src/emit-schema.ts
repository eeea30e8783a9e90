// Writes apps/api/schema.graphql from the resolvers: `npx tsx apps/api/src/emit-schema.ts`.
// schema.spec.ts fails when the committed file and the code disagree.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { buildLeadwiseSchema, printLeadwiseSchema } from './schema.ts';
import { SCHEMA_FILE } from './schema-file.ts';

writeFileSync(SCHEMA_FILE, printLeadwiseSchema(await buildLeadwiseSchema()));
process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
