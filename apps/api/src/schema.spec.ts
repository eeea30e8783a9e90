import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType, isSpecifiedScalarType, isIntrospectionType } from 'graphql';
import { getNullableType, isListType } from 'graphql';
import { buildLeadwiseSchema, printLeadwiseSchema } from './schema.ts';
import { listCap } from './limits.ts';
import { SCHEMA_FILE } from './schema-file.ts';

describe('GraphQL schema', () => {
  it('matches the committed schema.graphql (run `npx tsx apps/api/src/emit-schema.ts` after changing the API)', async () => {
    const emitted = printLeadwiseSchema(await buildLeadwiseSchema());
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(emitted);
  });

  it('documents every type, field and argument', async () => {
    const schema = await buildLeadwiseSchema();
    const undocumented: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (isIntrospectionType(type) || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
      if (!type.description) undocumented.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undocumented.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) undocumented.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type) && type.getValues().length === 0) undocumented.push(`${type.name} (no values)`);
    }
    expect(undocumented).toEqual([]);
  });

  it('caps every list: a `first` argument with a maximum, a declared `maxItems`, or its own cost function', async () => {
    const schema = await buildLeadwiseSchema();
    const uncapped: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (isIntrospectionType(type) || !isObjectType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        if (!isListType(getNullableType(field.type))) continue;
        const first = field.args.find((a) => a.name === 'first');
        const capped = first ? typeof first.defaultValue === 'number' && /1 to \d/.test(first.description ?? '') : listCap(field, {}) !== undefined || field.extensions.complexity !== undefined;
        if (!capped) uncapped.push(`${type.name}.${field.name}`);
      }
    }
    expect(uncapped).toEqual([]);
  });
});
