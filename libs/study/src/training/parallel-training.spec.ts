import { describe, expect, it } from 'vitest';
import { childEnv, trainRunsInParallel, type TrainRunSpec } from './parallel-training.ts';

const spec = (seed: number): TrainRunSpec => ({ model: 'resnet18', dataset: 'nowhere', seed, profile: 'quick' });

describe('trainRunsInParallel', () => {
  it('refuses without PostgreSQL, naming why', async () => {
    await expect(trainRunsInParallel([spec(1), spec(2)], { databaseUrl: '' })).rejects.toThrow(/needs PostgreSQL \(DATABASE_URL\)/);
  });

  it('starts no process once stopped, and says how many runs had finished', async () => {
    const controller = new AbortController();
    controller.abort();
    const settled: number[] = [];
    await expect(
      trainRunsInParallel([spec(1), spec(2), spec(3)], {
        databaseUrl: 'postgres://postgres@127.0.0.1:5432/unused',
        signal: controller.signal,
        onRunSettled: (s) => settled.push(s.seed),
      }),
    ).rejects.toThrow(/stopped: 0 of 3 runs had finished/);
    expect(settled).toEqual([]);
  });

  it('gives each training child one native-kernel thread unless LEADWISE_THREADS is set', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/unused';
    // Two children on two cores: more threads each would only fight over the same cores.
    expect(childEnv(url, { PATH: '/bin' })).toEqual({ PATH: '/bin', DATABASE_URL: url, LEADWISE_THREADS: '1' });
    expect(childEnv(url, { LEADWISE_THREADS: '2' }).LEADWISE_THREADS).toBe('2');
    expect(childEnv(url, { LEADWISE_THREADS: ' ' }).LEADWISE_THREADS).toBe('1');
  });
});
