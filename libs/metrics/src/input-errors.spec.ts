import { describe, expect, it } from 'vitest';
import { delongPairedTest, InvalidScoreError, LengthMismatchError, NonBinaryLabelError, rocAuc, SingleClassError } from './index.ts';

describe('bad input gets a typed error that names the field and sample', () => {
  it('non-binary labels', () => {
    const call = () => rocAuc([0, 1, 1, 2], [0.1, 0.2, 0.3, 0.4], { labels: 'label' });
    expect(call).toThrow(NonBinaryLabelError);
    expect(call).toThrow('label[3]: label must be 0 or 1, got 2');
  });

  it('one class only', () => {
    const call = () => rocAuc([1, 1, 1], [0.1, 0.2, 0.3]);
    expect(call).toThrow(SingleClassError);
    expect(call).toThrow('labels: needs both classes, got 3 positive and 0 negative label(s)');
  });

  it('NaN scores', () => {
    const call = () => rocAuc([0, 1], [0.1, NaN], { scores: 'model_a' });
    expect(call).toThrow(InvalidScoreError);
    expect(call).toThrow('model_a[1]: score is NaN');
  });

  it('length mismatch, naming the shorter field of a paired test', () => {
    const call = () => delongPairedTest([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2], {}, { scoresB: 'model_b' });
    expect(call).toThrow(LengthMismatchError);
    expect(call).toThrow('model_b: has 2 value(s) but labels has 4');
  });
});
