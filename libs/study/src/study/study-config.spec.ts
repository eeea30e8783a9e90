import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalJson, LLM_ARM_DEFAULTS, loadStudyConfig, parseStudyConfig, resolveStudyPlan, StudyConfigError } from './study-config.ts';

const defaultConfigPath = fileURLToPath(new URL('../../../../study.yaml', import.meta.url));

describe('study config', () => {
  it('parses the committed default config with all four models and both datasets', () => {
    const config = parseStudyConfig(loadStudyConfig(defaultConfigPath));
    expect(config.models).toEqual(['leadgroup', 'resnet18', 'densenet121', 'vgg16']);
    expect(config.datasets.internal.kind).toBe('ptbxl');
    expect(config.datasets.external?.kind).toBe('cinc');
    expect(config.llm.styles).toEqual(['grid', 'none']);
  });

  it('names the offending field when the config is invalid', () => {
    expect(() => parseStudyConfig({ datasets: { internal: { kind: 'edf', name: 'x', path: 'y' } } })).toThrow(
      /datasets\.internal\.kind/,
    );
    expect(() => parseStudyConfig({ datasets: { internal: { kind: 'ptbxl', name: 'x', path: 'y' } }, sedes: [1] })).toThrow(
      StudyConfigError,
    );
  });

  it('gives the same hash for the same plan whatever the key order, and a new hash for a new profile', () => {
    const a = parseStudyConfig({ name: 'n', datasets: { internal: { kind: 'ptbxl', name: 'p', path: 'ptbxl' } } });
    const b = parseStudyConfig({ datasets: { internal: { path: 'ptbxl', name: 'p', kind: 'ptbxl' } }, name: 'n' });
    expect(resolveStudyPlan(a).hash).toBe(resolveStudyPlan(b).hash);
    expect(resolveStudyPlan(a, 'standard').hash).not.toBe(resolveStudyPlan(a, 'quick').hash);
    expect(resolveStudyPlan(a, 'quick').seeds).toEqual([1]);
    expect(resolveStudyPlan(a, 'standard').seeds).toEqual([1, 2, 3]);
  });

  it('takes augmentation from the profile unless the config sets it, and a different setting is a new experiment', () => {
    const base = { name: 'n', datasets: { internal: { kind: 'ptbxl', name: 'p', path: 'ptbxl' } } };
    const byProfile = resolveStudyPlan(parseStudyConfig(base), 'standard');
    expect(byProfile.augment).toBe(false);
    expect(resolveStudyPlan(parseStudyConfig(base), 'paper').augment).toBe(true);
    const augmented = resolveStudyPlan(parseStudyConfig({ ...base, augment: true }), 'standard');
    expect(augmented.augment).toBe(true);
    expect(augmented.hash).not.toBe(byProfile.hash);
    expect(resolveStudyPlan(parseStudyConfig({ ...base, augment: false }), 'standard').hash).not.toBe(augmented.hash);
  });

  it('keeps the default LeadGroupECG head out of the identity and gives the paper head a new experiment', () => {
    const base = { name: 'n', datasets: { internal: { kind: 'ptbxl', name: 'p', path: 'ptbxl' } } };
    const plain = resolveStudyPlan(parseStudyConfig(base), 'standard');
    expect(resolveStudyPlan(parseStudyConfig({ ...base, leadGroupHead: 'paper' }), 'standard').hash).not.toBe(plain.hash);
    expect(resolveStudyPlan(parseStudyConfig({ ...base, leadGroupHead: 'residual' }), 'standard').hash).toBe(plain.hash);
    expect(() => parseStudyConfig({ ...base, leadGroupHead: 'sideways' })).toThrow(/leadGroupHead/);
  });

  it('gives a set classifier dropout a new experiment and refuses one outside [0, 1)', () => {
    const base = { name: 'n', datasets: { internal: { kind: 'ptbxl', name: 'p', path: 'ptbxl' } } };
    expect(resolveStudyPlan(parseStudyConfig({ ...base, dropout: 0 }), 'standard').hash).not.toBe(resolveStudyPlan(parseStudyConfig(base), 'standard').hash);
    expect(() => parseStudyConfig({ ...base, dropout: 1 })).toThrow(/dropout/);
  });

  it('gives group targets a new experiment, and groupTargets: false the same one as leaving it out', () => {
    const base = { name: 'n', datasets: { internal: { kind: 'ptbxl', name: 'p', path: 'ptbxl' } } };
    const plain = resolveStudyPlan(parseStudyConfig(base), 'standard').hash;
    expect(resolveStudyPlan(parseStudyConfig({ ...base, groupTargets: true }), 'standard').hash).not.toBe(plain);
    expect(resolveStudyPlan(parseStudyConfig({ ...base, groupTargets: false }), 'standard').hash).toBe(plain);
  });

  it('gives an input size a new experiment and refuses one that is not HxW', () => {
    const base = { name: 'n', datasets: { internal: { kind: 'ptbxl', name: 'p', path: 'ptbxl' } } };
    expect(resolveStudyPlan(parseStudyConfig({ ...base, input: '192x240' }), 'standard').hash).not.toBe(resolveStudyPlan(parseStudyConfig(base), 'standard').hash);
    expect(() => parseStudyConfig({ ...base, input: '192 by 240' })).toThrow(/input must be HxW/);
  });

  it('takes the LLM request settings from the llm section, keeping them out of the identity when left out', () => {
    const base = { name: 'n', datasets: { internal: { kind: 'ptbxl', name: 'p', path: 'ptbxl' } } };
    const plain = resolveStudyPlan(parseStudyConfig(base), 'standard');
    expect(plain.config.llm).not.toHaveProperty('dpi');
    expect(LLM_ARM_DEFAULTS).toEqual({ dpi: 100, temperature: 0, concurrency: 4, timeoutS: 120 });
    const sharper = resolveStudyPlan(parseStudyConfig({ ...base, llm: { dpi: 150, timeoutS: 300 } }), 'standard');
    expect(sharper.config.llm).toMatchObject({ dpi: 150, timeoutS: 300 });
    expect(sharper.hash).not.toBe(plain.hash);
    expect(() => parseStudyConfig({ ...base, llm: { concurrency: 0 } })).toThrow(/llm\.concurrency/);
  });

  it('serialises objects with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });
});
