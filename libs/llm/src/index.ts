// The public API: what other packages use. Everything else in src/ is internal to the library.
export { parseAnswer } from './answer-parser.ts';
export { LlmConfigError } from './errors.ts';
export { effectivePromptHash, type FewShotExample, type LlmImage } from './llm-request.ts';
export { runLlmJobs, type LlmJob, type LlmProgress, type ScorePreference } from './llm-runner.ts';
export { PROVIDER_NAMES, type ProviderName } from './model-catalog.ts';
export { OpenAiProvider } from './openai-provider.ts';
export { DEFAULT_PROMPT_NAME, getPrompt, sha256Hex, type RegisteredPrompt } from './prompts.ts';
export { PROVIDER_ENV, providerFromEnv } from './provider-config.ts';
export { type LlmProvider } from './provider.ts';
export { redactSecrets } from './redact.ts';
export { cacheKeyString, type LlmCacheKey, type LlmResponseCache, type LlmResponseRecord, type ScoreSource } from './response-record.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.ts';
export { repeatAgreement, summarizeScoreSources } from './run-summary.ts';
