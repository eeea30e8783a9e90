import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Data flows one way (STYLE.md): files -> ecg -> db -> render -> models/llm -> metrics -> api.
// Each scope lists exactly what it may import; anything else fails lint.
const depConstraints = [
  { sourceTag: 'type:lib', notDependOnLibsWithTags: ['type:app', 'type:e2e', 'type:tool'] },
  { sourceTag: 'scope:ecg', onlyDependOnLibsWithTags: ['scope:ecg'] },
  { sourceTag: 'scope:metrics', onlyDependOnLibsWithTags: ['scope:metrics', 'scope:ecg'] },
  { sourceTag: 'scope:db', onlyDependOnLibsWithTags: ['scope:db', 'scope:ecg'] },
  { sourceTag: 'scope:render', onlyDependOnLibsWithTags: ['scope:render', 'scope:ecg'] },
  { sourceTag: 'scope:models', onlyDependOnLibsWithTags: ['scope:models', 'scope:ecg', 'scope:render', 'scope:metrics'] },
  { sourceTag: 'scope:llm', onlyDependOnLibsWithTags: ['scope:llm', 'scope:ecg', 'scope:render', 'scope:metrics'] },
  {
    sourceTag: 'scope:study',
    onlyDependOnLibsWithTags: ['scope:study', 'scope:ecg', 'scope:db', 'scope:render', 'scope:models', 'scope:llm', 'scope:metrics'],
  },
  { sourceTag: 'scope:api', onlyDependOnLibsWithTags: ['scope:api', 'scope:db', 'scope:metrics', 'scope:ecg', 'scope:llm', 'scope:study'] },
  { sourceTag: 'scope:worker', onlyDependOnLibsWithTags: ['scope:worker', 'scope:db', 'scope:study', 'scope:ecg'] },
  { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['*'] },
  // The web app talks to the API over HTTP only: it imports no library.
  { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:web'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['*'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['*'] },
];

// Every query lives in a libs/db store (issue 17): other projects reach the database through the
// stores, and their specs through @leadwise/db/testing. Dynamic imports are caught too.
const DB_DRIVER_MESSAGE = 'SQL and the database driver belong in libs/db: add or use a store method (specs: @leadwise/db/testing).';
const dbDriverImports = {
  paths: [{ name: 'pg', message: DB_DRIVER_MESSAGE }],
  patterns: [{ group: ['drizzle-orm', 'drizzle-orm/*', 'pg/*'], message: DB_DRIVER_MESSAGE }],
};

export default [
  { ignores: ['**/node_modules', '**/dist', '.nx', '.leadwise', 'report', 'migrations/meta', 'docs'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints,
          banTransitiveDependencies: false,
          // Node entry points lazy-load heavy libraries (tfjs, Apollo) to keep `--help` fast, and may
          // import the same library statically elsewhere: there is no bundle to split here.
          checkDynamicDependenciesExceptions: ['@leadwise/**'],
        },
      ],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mjs'],
    ignores: [
      'libs/db/**',
      // Benchmarks of raw SQL: they seed millions of rows with set-based INSERTs and read EXPLAIN plans.
      'tools/bench/api.ts',
      'tools/bench/web-api.ts',
      'tools/bench/db-predictions.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', dbDriverImports],
      'no-restricted-syntax': [
        'error',
        { selector: "ImportExpression[source.value=/^(drizzle-orm|pg)(\\/|$)/]", message: DB_DRIVER_MESSAGE },
      ],
    },
  },
  { files: ['**/*.spec.ts', 'e2e/**/*.ts', 'tools/**/*.ts'], rules: { '@typescript-eslint/no-non-null-assertion': 'off' } },
  tseslint.configs.disableTypeChecked,
];
