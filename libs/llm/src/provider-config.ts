import { LlmConfigError } from './errors.ts';
import { GeminiProvider } from './gemini-provider.ts';
import { PROVIDER_NAMES, type ProviderName } from './model-catalog.ts';
import { OpenAiProvider } from './openai-provider.ts';
import type { LlmProvider } from './provider.ts';

export { PROVIDER_NAMES };

/**
 * Environment variables read by `providerFromEnv` (documented in libs/llm/README.md). Keys are read
 * at call time and held only by the SDK client; they are never stored, logged or put in run params.
 */
export const PROVIDER_ENV = {
  openai: { key: 'OPENAI_API_KEY', baseUrl: 'OPENAI_BASE_URL', defaultBaseUrl: 'https://api.openai.com/v1' },
  gemini: { key: 'GEMINI_API_KEY', baseUrl: 'GEMINI_BASE_URL', defaultBaseUrl: 'https://generativelanguage.googleapis.com' },
  compatible: { key: 'LEADWISE_COMPAT_API_KEY', baseUrl: 'LEADWISE_COMPAT_BASE_URL', defaultBaseUrl: null },
} as const satisfies Record<ProviderName, { key: string; baseUrl: string; defaultBaseUrl: string | null }>;

export interface ProviderOverrides {
  logprobs?: boolean;
  topLogprobs?: number;
}

interface ProviderSettings extends ProviderOverrides {
  model: string;
  /** From the environment; undefined when unset. */
  apiKey: string | undefined;
  baseUrl: string;
}

/** How each provider is built; a new provider is a name in PROVIDER_NAMES, its env names and an entry here. */
const PROVIDERS: Record<ProviderName, (settings: ProviderSettings) => LlmProvider> = {
  openai: ({ apiKey, ...rest }) => new OpenAiProvider({ kind: 'openai', apiKey: requireKey('openai', apiKey), ...rest }),
  gemini: ({ apiKey, ...rest }) => new GeminiProvider({ apiKey: requireKey('gemini', apiKey), ...rest }),
  // Local servers usually ignore the key, but the SDK insists on one.
  compatible: ({ apiKey, ...rest }) => new OpenAiProvider({ kind: 'compatible', apiKey: apiKey || 'not-needed', ...rest }),
};

function requireKey(provider: ProviderName, key: string | undefined): string {
  if (!key) throw new LlmConfigError(`${PROVIDER_ENV[provider].key} is not set: the ${provider} provider needs an API key in the environment`);
  return key;
}

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(value);
}

/** Builds a provider from the environment, or throws a typed error naming the missing variable. */
export function providerFromEnv(provider: string, model: string, env: NodeJS.ProcessEnv = process.env, overrides: ProviderOverrides = {}): LlmProvider {
  if (!isProviderName(provider)) throw new LlmConfigError(`unknown provider "${provider}"; expected one of ${PROVIDER_NAMES.join(', ')}`);
  if (model.trim() === '') throw new LlmConfigError('model id is empty');
  const names = PROVIDER_ENV[provider];
  const baseUrl = env[names.baseUrl]?.trim() || names.defaultBaseUrl;
  if (!baseUrl) throw new LlmConfigError(`${names.baseUrl} is not set: give the OpenAI-compatible server's base URL, e.g. http://127.0.0.1:8000/v1`);
  const apiKey = env[names.key]?.trim() || (provider === 'gemini' ? env.GOOGLE_API_KEY?.trim() : undefined);
  return PROVIDERS[provider]({ model, apiKey, baseUrl, ...overrides });
}
