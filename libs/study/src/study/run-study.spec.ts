import { describe, expect, it } from 'vitest';
import { configuredLlmModels, planStudySteps } from './run-study.ts';
import { parseStudyConfig, resolveStudyPlan } from './study-config.ts';

const config = parseStudyConfig({
  datasets: { internal: { kind: 'ptbxl', name: 'ptbxl', path: 'ptbxl' }, external: { kind: 'cinc', name: 'chapman', path: 'c.tar.xz' } },
  models: ['leadgroup', 'resnet18'],
  llm: { models: [{ provider: 'openai', model: 'gpt-4.1' }, { provider: 'gemini', model: 'gemini-2.5-pro' }] },
});

describe('study plan', () => {
  it('skips the LLM arm without keys and says which variables would enable it', () => {
    const { models, skippedReason } = configuredLlmModels(config, {});
    expect(models).toEqual([]);
    expect(skippedReason).toMatch(/OPENAI_API_KEY, GEMINI_API_KEY/);
    expect(skippedReason).toMatch(/LEADWISE_COMPAT_BASE_URL/);
  });

  it('runs only the providers whose key is in the environment, and adds a compatible endpoint', () => {
    expect(configuredLlmModels(config, { GEMINI_API_KEY: 'k' }).models).toEqual([{ provider: 'gemini', model: 'gemini-2.5-pro' }]);
    const withLocal = configuredLlmModels(config, { LEADWISE_COMPAT_BASE_URL: 'http://127.0.0.1:9/v1', LEADWISE_COMPAT_MODEL: 'PULSE-7B' });
    expect(withLocal.models).toEqual([{ provider: 'compatible', model: 'PULSE-7B' }]);
    expect(configuredLlmModels({ ...config, llm: { ...config.llm, mode: 'off' } }, { GEMINI_API_KEY: 'k' }).skippedReason).toMatch(/mode: off/);
  });

  it('orders steps import, then per seed and model: train, evaluate val, test, external; LLM last', () => {
    const steps = planStudySteps(resolveStudyPlan(config, 'standard'), { OPENAI_API_KEY: 'k' });
    const keys = steps.map((s) => s.key);
    expect(keys.slice(0, 2)).toEqual(['import:ptbxl', 'import:chapman']);
    expect(keys.slice(2, 6)).toEqual([
      'train:leadgroup:1',
      'evaluate:leadgroup:1:ptbxl:val',
      'evaluate:leadgroup:1:ptbxl:test',
      'evaluate:leadgroup:1:chapman:all',
    ]);
    // 2 imports + 3 seeds x 2 models x (1 train + 3 evaluations) + 1 LLM model x 2 styles
    expect(steps).toHaveLength(2 + 3 * 2 * 4 + 2);
    expect(keys.slice(-2)).toEqual(['llm:openai:gpt-4.1:grid', 'llm:openai:gpt-4.1:none']);
  });
});
