/**
 * Runs the LLM arm in a child process for the kill-and-resume test: the parent kills this process
 * mid-run and then resumes. Configuration comes from the environment (DATABASE_URL,
 * LEADWISE_COMPAT_BASE_URL, LLM_ARM_DATASET, LLM_ARM_REPEATS).
 */
import { openDatabase } from '@leadwise/db';
import { providerFromEnv } from '@leadwise/llm';
import { runLlmArm } from '../run-llm-arm.ts';

const handle = await openDatabase({ driver: 'postgres' });
try {
  await runLlmArm(handle.db, {
    provider: providerFromEnv('compatible', 'scripted-vlm'),
    datasetName: process.env.LLM_ARM_DATASET ?? '',
    split: 'test',
    repeats: Number(process.env.LLM_ARM_REPEATS ?? '1'),
    style: 'grid',
    dpi: 40,
    promptName: 'study-zero-shot',
    temperature: 0,
    concurrency: 2,
    timeoutMs: 60_000,
    bootstrap: { resamples: 200, seed: 1 },
  });
} finally {
  await handle.close();
}
