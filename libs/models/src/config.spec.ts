import { describe, expect, it } from 'vitest';
import { parseModelConfig, parseStoredModelConfig, profileEpochs, PROFILE_SETTINGS } from './config.ts';

describe('profiles', () => {
  it('gives DenseNet121 and VGG16 two epochs at the standard profile and the others its three', () => {
    expect(PROFILE_SETTINGS.standard.epochs).toBe(3);
    expect(profileEpochs('standard', 'leadgroup')).toBe(3);
    expect(profileEpochs('standard', 'resnet18')).toBe(3);
    expect(profileEpochs('standard', 'densenet121')).toBe(2);
    expect(profileEpochs('standard', 'vgg16')).toBe(2);
  });

  it('gives every architecture the same epochs where the profile lists no exception', () => {
    for (const architecture of ['leadgroup', 'resnet18', 'densenet121', 'vgg16'] as const) {
      expect(profileEpochs('quick', architecture)).toBe(PROFILE_SETTINGS.quick.epochs);
      expect(profileEpochs('paper', architecture)).toBe(PROFILE_SETTINGS.paper.epochs);
    }
  });

  it('trains VGG16 with batch normalisation at the CPU profiles and as published at the paper profile', () => {
    expect(PROFILE_SETTINGS.quick.vggBatchNorm).toBe(true);
    expect(PROFILE_SETTINGS.standard.vggBatchNorm).toBe(true);
    expect(PROFILE_SETTINGS.paper.vggBatchNorm).toBe(false);
  });

  it('defaults the output stride to the published 32', () => {
    expect(parseModelConfig({ architecture: 'leadgroup', inputHeight: 64, inputWidth: 64 }).outputStride).toBe(32);
  });
});

describe('LeadGroupECG head', () => {
  const size = { architecture: 'leadgroup', inputHeight: 64, inputWidth: 64 } as const;

  it('gives new configs the residual head with the rhythm strip, and the paper head its 12 leads', () => {
    expect(parseModelConfig(size)).toMatchObject({ leadGroupHead: 'residual', rhythmStrip: true });
    expect(parseModelConfig({ ...size, leadGroupHead: 'paper' })).toMatchObject({ leadGroupHead: 'paper', rhythmStrip: false });
    expect(parseModelConfig({ ...size, rhythmStrip: false }).rhythmStrip).toBe(false);
    // The baselines pool no boxes.
    expect(parseModelConfig({ ...size, architecture: 'resnet18' }).rhythmStrip).toBe(false);
    expect(() => parseModelConfig({ ...size, leadGroupHead: 'attention' })).toThrow(/leadGroupHead/);
  });

  it('reads a stored config without the field (saved before it existed) as the paper head, and keeps a stored choice', () => {
    expect(parseStoredModelConfig(size)).toMatchObject({ leadGroupHead: 'paper', rhythmStrip: false });
    expect(parseStoredModelConfig({ ...size, rhythmStrip: true })).toMatchObject({ leadGroupHead: 'paper', rhythmStrip: true });
    expect(parseStoredModelConfig({ ...size, leadGroupHead: 'residual', rhythmStrip: true })).toMatchObject({ leadGroupHead: 'residual', rhythmStrip: true });
  });
});
