import { describe, expect, it } from 'vitest';
import { labelProbabilityFromLogprobs, type TokenLogprob } from './logprob-score.ts';

const certain = (token: string): TokenLogprob => ({ token, logprob: 0, top: [{ token, logprob: 0 }] });

describe('labelProbabilityFromLogprobs', () => {
  it('renormalises the two labels at the label step', () => {
    const tokens = [certain('{"'), certain('label'), certain('":'), certain(' "'), { token: 'abnormal', logprob: Math.log(0.6), top: [{ token: 'abnormal', logprob: Math.log(0.6) }, { token: 'normal', logprob: Math.log(0.3) }, { token: 'border', logprob: Math.log(0.1) }] }, certain('"}')];
    const result = labelProbabilityFromLogprobs(tokens)!;
    // 0.6 / (0.6 + 0.3): the 0.1 of "border" spells neither label.
    expect(result.pAbnormal).toBeCloseTo(2 / 3, 12);
    expect(result.chosenLabel).toBe('abnormal');
    expect(result.chosenProbability).toBeCloseTo(0.6, 12);
    expect(result.otherMass).toBeCloseTo(0.1, 12);
  });

  it('counts "ab" and "Ab" as the start of abnormal and strips what the token carried before the value', () => {
    // The tokenizer merged the opening quote into the label token: ` "ab` + `normal`.
    const tokens = [certain('{"label":'), { token: ' "ab', logprob: Math.log(0.2), top: [{ token: ' "normal', logprob: Math.log(0.7) }, { token: ' "ab', logprob: Math.log(0.2) }, { token: ' "Ab', logprob: Math.log(0.05) }] }, certain('normal"}')];
    const result = labelProbabilityFromLogprobs(tokens)!;
    expect(result.pAbnormal).toBeCloseTo(0.25 / 0.95, 12);
    expect(result.chosenLabel).toBe('abnormal');
  });

  it('returns null without a label field or when the label step spells neither label', () => {
    expect(labelProbabilityFromLogprobs([certain('normal')])).toBeNull();
    expect(labelProbabilityFromLogprobs([certain('{"label": "'), certain('unclear'), certain('"}')])).toBeNull();
    expect(labelProbabilityFromLogprobs([])).toBeNull();
  });
});
