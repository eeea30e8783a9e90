import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXPERIMENT_STATUSES, JOB_STATUSES, PARSE_STATUSES, RUN_KINDS, RUN_STATUSES, SCORE_SOURCES } from '@leadwise/db';
import { DATASET_KINDS, DATASET_SPLITS, RECORD_LABELS, SEXES } from '@leadwise/ecg';
import { PROVIDER_NAMES } from '@leadwise/llm';
import { ARCHITECTURES, BACKBONES, LEAD_GROUP_HEADS, TRAINING_PROFILES } from '@leadwise/models';
import { GRID_STYLES, LAYOUT_NAMES, PAGE_GRID_STYLES, PAGE_STYLES, PAPER_SIZES } from '@leadwise/render';
import { EVALUATION_ENGINES, SCORED_SPLITS, STUDY_ROLES } from '@leadwise/study';

/**
 * One owner for every value set (issue 17): each set is spelled out once, in the library that owns
 * it, and everything else derives from it (`z.enum(OWNER)`, GraphQL enums, CHECK constraints). A
 * second spelling, as an array (`'a', 'b'`) or a union (`'a' | 'b'`), fails here with its file.
 */
const VALUE_SETS: Record<string, readonly string[]> = {
  DATASET_KINDS,
  DATASET_SPLITS,
  RECORD_LABELS,
  SEXES,
  EXPERIMENT_STATUSES,
  RUN_KINDS,
  RUN_STATUSES,
  JOB_STATUSES,
  SCORE_SOURCES,
  PARSE_STATUSES,
  PROVIDER_NAMES,
  ARCHITECTURES,
  BACKBONES,
  LEAD_GROUP_HEADS,
  TRAINING_PROFILES,
  GRID_STYLES,
  LAYOUT_NAMES,
  PAPER_SIZES,
  PAGE_STYLES,
  PAGE_GRID_STYLES: [...new Set(Object.values(PAGE_GRID_STYLES))],
  STUDY_ROLES,
  SCORED_SPLITS,
  EVALUATION_ENGINES,
};

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Library and app sources; specs and `testing.ts` fixtures may spell values out. */
function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && entry.name !== 'testing.ts') files.push(path);
    }
  };
  for (const group of ['apps', 'libs']) {
    for (const project of readdirSync(join(repoRoot, group), { withFileTypes: true })) {
      if (project.isDirectory()) {
        try {
          walk(join(repoRoot, group, project.name, 'src'));
        } catch {
          // a project without src/
        }
      }
    }
  }
  return files;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The set's values as quoted literals in order, separated by commas or bars, opening an array, a
 * call or a type (`['a', 'b'`, `IsIn(['a'`, `: 'a' | 'b'`), so a table header that happens to list
 * some of the values is not a copy.
 */
function spellingPattern(values: readonly string[]): RegExp {
  return new RegExp(`[\\[(=:<]\\s*${values.map((value) => `['"\`]${escape(value)}['"\`]`).join('\\s*[,|]\\s*')}`);
}

describe('value sets', () => {
  const files = sourceFiles().map((path) => ({ path: relative(repoRoot, path), text: readFileSync(path, 'utf8') }));

  it('scans the sources', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  for (const [name, values] of Object.entries(VALUE_SETS)) {
    it(`spells ${name} out in at most one file`, () => {
      const pattern = spellingPattern(values);
      const spelledIn = files.filter((file) => pattern.test(file.text)).map((file) => file.path);
      expect(spelledIn.length, `${name} (${values.join(', ')}) is spelled out in ${spelledIn.join(', ')}`).toBeLessThanOrEqual(1);
    });
  }

  it('finds a copy when there is one', () => {
    expect(spellingPattern(TRAINING_PROFILES).test("z.enum(['quick', 'standard', 'paper'])")).toBe(true);
    expect(spellingPattern(STUDY_ROLES).test("role: 'internal' | 'external';")).toBe(true);
  });
});
