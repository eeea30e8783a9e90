import { describe, expect, it } from 'vitest';
import { LlmPromptError } from './errors.ts';
import { makeTestImage } from './testing.ts';
import { assertFewShotExamplesAllowed, buildRequestParts, effectivePromptHash, type FewShotExample } from './llm-request.ts';
import { getPrompt, listPrompts } from './prompts.ts';

describe('prompt registry', () => {
  it('pins the hash of every registered text, so an edit must become a new version', () => {
    // Hashes computed outside the library: the text written to a file and hashed with coreutils `sha256sum`.
    const pinned: Record<string, string> = {
      'study-zero-shot@1': '9d9933b552be41f722b652127d1eb8eac391883e70622dbeda2f089b7bdaa722',
      'ordinal-confidence@1': '22bfa01f830a2c967b724f81b1a4333311cd541dcd211462777d73e44e44c795',
      'probability-100@1': '4c4167cdff6c6a10ea4f91ea777d997fe79f210d5d947d56fc8ebbbc1910ae8f',
      'few-shot@1': 'a5fef54df19edd22dd9cf6f2d25980f47d82fc656c78185b86dc2873a18cfcfb',
    };
    expect(Object.fromEntries(listPrompts().map((p) => [`${p.name}@${p.version}`, p.sha256]))).toEqual(pinned);
  });

  it('asks every prompt for a JSON answer with a label and a narrative', () => {
    for (const prompt of listPrompts()) {
      expect(prompt.text).toContain('"label": "normal" or "abnormal"');
      expect(prompt.text).toContain('"narrative"');
    }
  });

  it('looks prompts up by name and name@version, and names the known ones when it cannot', () => {
    expect(getPrompt('ordinal-confidence@1').scale).toBe('ordinal-5');
    expect(() => getPrompt('study-zero-shot@2')).toThrow(/known: study-zero-shot@1/);
    expect(() => getPrompt('nope')).toThrow(LlmPromptError);
  });
});

describe('few-shot examples', () => {
  const example = (recordKey: string, split: string, patientKey: string | null = null): FewShotExample => ({
    image: makeTestImage(recordKey.length),
    label: 'abnormal',
    recordKey,
    split,
    patientKey,
  });
  const target = { recordKey: 'ptbxl/00009', split: 'test', patientKey: 'p9' };

  it('refuses examples from the evaluated split, from any test split, the target itself, or the same patient', () => {
    expect(() => assertFewShotExamplesAllowed([example('ptbxl/00001', 'test')], target)).toThrow(/split "test"/);
    expect(() => assertFewShotExamplesAllowed([example('ptbxl/00001', 'val')], { ...target, split: 'val' })).toThrow(/evaluated split/);
    expect(() => assertFewShotExamplesAllowed([example('ptbxl/00001', 'test')], { ...target, split: 'val' })).toThrow(/test split/);
    expect(() => assertFewShotExamplesAllowed([example('ptbxl/00009', 'train')], target)).toThrow(/record being classified/);
    expect(() => assertFewShotExamplesAllowed([example('ptbxl/00002', 'train', 'p9')], target)).toThrow(/shares patient p9/);
    expect(() => assertFewShotExamplesAllowed([example('ptbxl/00002', 'train', 'p2')], target)).not.toThrow();
  });

  it('puts labelled examples before the image to classify, and hashes the examples into the prompt hash', () => {
    const prompt = getPrompt('few-shot');
    const examples = [example('ptbxl/00001', 'train'), { ...example('ptbxl/00002', 'train'), label: 'normal' as const, image: makeTestImage(99) }];
    const image = makeTestImage(5);
    const parts = buildRequestParts({ prompt, image, target, examples, temperature: 0 });
    expect(parts.map((p) => (p.type === 'text' ? p.text.slice(0, 24) : `image:${p.image.sha256.slice(0, 6)}`))).toEqual([
      prompt.text.slice(0, 24),
      'Example 1: this ECG is a',
      `image:${examples[0].image.sha256.slice(0, 6)}`,
      'Example 2: this ECG is n',
      `image:${examples[1].image.sha256.slice(0, 6)}`,
      'ECG to classify:',
      `image:${image.sha256.slice(0, 6)}`,
    ]);
    expect(effectivePromptHash(prompt, examples)).not.toBe(prompt.sha256);
    expect(effectivePromptHash(prompt, examples)).not.toBe(effectivePromptHash(prompt, [examples[1], examples[0]]));
    expect(effectivePromptHash(getPrompt('study-zero-shot'))).toBe(getPrompt('study-zero-shot').sha256);
  });

  it('refuses a few-shot prompt without examples and a zero-shot prompt with some', () => {
    const image = makeTestImage(1);
    expect(() => buildRequestParts({ prompt: getPrompt('few-shot'), image, target, temperature: 0 })).toThrow(/at least one/);
    expect(() => buildRequestParts({ prompt: getPrompt('study-zero-shot'), image, target, examples: [example('a', 'train')], temperature: 0 })).toThrow(/zero-shot/);
  });
});
