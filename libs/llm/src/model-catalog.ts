/**
 * What we know about each model family: whether it returns token log-probabilities, whether it
 * accepts a temperature, how it counts image tokens, and its list price. Prices are USD per million
 * tokens as published by the providers when this was written (standard tier, prompts under 200k
 * tokens); they are estimates for budgeting, not invoices. Unknown model ids fall back to a family
 * match by prefix, then to "unknown" (no price, logprobs off for OpenAI, on for compatible servers).
 */

/** LLM providers; each has an entry in provider-config's PROVIDERS registry. */
export const PROVIDER_NAMES = ['openai', 'gemini', 'compatible'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export type ImageTokenRule =
  /** OpenAI tile rule: fit in 2048x2048, shortest side to 768, then base + perTile x 512-px tiles. */
  | { kind: 'openai-tiles'; baseTokens: number; tileTokens: number }
  /** Gemini 2.x: 258 tokens when both sides <= 384 px, else 258 per 768x768 tile. */
  | { kind: 'gemini-tiles'; tileTokens: number }
  | { kind: 'unknown' };

export interface ModelInfo {
  /** The catalogue entry that matched, e.g. `gpt-4.1`. */
  family: string;
  logprobs: boolean;
  /** GPT-5 reasoning models reject any temperature but the default (1). */
  temperature: boolean;
  /** OpenAI reasoning models take `max_completion_tokens`; most compatible servers still want `max_tokens`. */
  maxTokensParam: 'max_completion_tokens' | 'max_tokens';
  /** Output budget per answer; reasoning models spend hidden tokens before the JSON. */
  defaultMaxOutputTokens: number;
  imageTokens: ImageTokenRule;
  /** USD per 1M tokens; null when unknown (local servers: 0). */
  inputUsdPerMTok: number | null;
  outputUsdPerMTok: number | null;
  /** Typical hidden reasoning tokens per answer, for cost estimates only. */
  typicalReasoningTokens: number;
}

const OPENAI_4 = { kind: 'openai-tiles', baseTokens: 85, tileTokens: 170 } as const;
const OPENAI_5 = { kind: 'openai-tiles', baseTokens: 70, tileTokens: 140 } as const;
const GEMINI = { kind: 'gemini-tiles', tileTokens: 258 } as const;

/** Longest prefix wins. */
const CATALOG: Record<ProviderName, Record<string, Omit<ModelInfo, 'family'>>> = {
  openai: {
    'gpt-4.1': { logprobs: true, temperature: true, maxTokensParam: 'max_completion_tokens', defaultMaxOutputTokens: 400, imageTokens: OPENAI_4, inputUsdPerMTok: 2.0, outputUsdPerMTok: 8.0, typicalReasoningTokens: 0 },
    // The mini models count image tokens in 32-px patches with a multiplier, not in tiles: no estimate here.
    'gpt-4.1-mini': { logprobs: true, temperature: true, maxTokensParam: 'max_completion_tokens', defaultMaxOutputTokens: 400, imageTokens: { kind: 'unknown' }, inputUsdPerMTok: 0.4, outputUsdPerMTok: 1.6, typicalReasoningTokens: 0 },
    'gpt-4o': { logprobs: true, temperature: true, maxTokensParam: 'max_completion_tokens', defaultMaxOutputTokens: 400, imageTokens: OPENAI_4, inputUsdPerMTok: 2.5, outputUsdPerMTok: 10.0, typicalReasoningTokens: 0 },
    'gpt-5': { logprobs: false, temperature: false, maxTokensParam: 'max_completion_tokens', defaultMaxOutputTokens: 4000, imageTokens: OPENAI_5, inputUsdPerMTok: 1.25, outputUsdPerMTok: 10.0, typicalReasoningTokens: 800 },
    'gpt-5.2': { logprobs: false, temperature: false, maxTokensParam: 'max_completion_tokens', defaultMaxOutputTokens: 4000, imageTokens: OPENAI_5, inputUsdPerMTok: 1.75, outputUsdPerMTok: 14.0, typicalReasoningTokens: 800 },
  },
  gemini: {
    'gemini-2.5-pro': { logprobs: false, temperature: true, maxTokensParam: 'max_tokens', defaultMaxOutputTokens: 4000, imageTokens: GEMINI, inputUsdPerMTok: 1.25, outputUsdPerMTok: 10.0, typicalReasoningTokens: 1000 },
    'gemini-2.5-flash': { logprobs: false, temperature: true, maxTokensParam: 'max_tokens', defaultMaxOutputTokens: 4000, imageTokens: GEMINI, inputUsdPerMTok: 0.3, outputUsdPerMTok: 2.5, typicalReasoningTokens: 600 },
  },
  compatible: {},
};

const UNKNOWN: Record<ProviderName, Omit<ModelInfo, 'family'>> = {
  openai: { logprobs: false, temperature: true, maxTokensParam: 'max_completion_tokens', defaultMaxOutputTokens: 1000, imageTokens: { kind: 'unknown' }, inputUsdPerMTok: null, outputUsdPerMTok: null, typicalReasoningTokens: 0 },
  gemini: { logprobs: false, temperature: true, maxTokensParam: 'max_tokens', defaultMaxOutputTokens: 4000, imageTokens: GEMINI, inputUsdPerMTok: null, outputUsdPerMTok: null, typicalReasoningTokens: 0 },
  // vLLM, Ollama (OpenAI API) and LM Studio return logprobs when asked; a server that cannot ignores the field.
  compatible: { logprobs: true, temperature: true, maxTokensParam: 'max_tokens', defaultMaxOutputTokens: 1000, imageTokens: { kind: 'unknown' }, inputUsdPerMTok: 0, outputUsdPerMTok: 0, typicalReasoningTokens: 0 },
};

export function modelInfo(provider: ProviderName, model: string): ModelInfo {
  const id = model.toLowerCase().replace(/^models\//, '');
  const entries = Object.entries(CATALOG[provider]).sort((a, b) => b[0].length - a[0].length);
  for (const [family, info] of entries) {
    if (id === family || id.startsWith(`${family}-`)) return { family, ...info };
  }
  // gpt-5.x point releases not in the table behave like the gpt-5 family.
  if (provider === 'openai' && /^gpt-5(\.|-|$)/.test(id)) return { ...CATALOG.openai['gpt-5'], family: 'gpt-5', inputUsdPerMTok: null, outputUsdPerMTok: null };
  return { family: 'unknown', ...UNKNOWN[provider] };
}

/** Image tokens a provider is expected to bill for one page of the given size (an estimate). */
export function estimateImageTokens(rule: ImageTokenRule, widthPx: number, heightPx: number): number | null {
  if (rule.kind === 'unknown') return null;
  if (rule.kind === 'gemini-tiles') {
    if (widthPx <= 384 && heightPx <= 384) return rule.tileTokens;
    return Math.ceil(widthPx / 768) * Math.ceil(heightPx / 768) * rule.tileTokens;
  }
  let w = widthPx;
  let h = heightPx;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const shrink = Math.min(1, 768 / Math.min(w, h));
  w *= shrink;
  h *= shrink;
  return rule.baseTokens + rule.tileTokens * Math.ceil(w / 512) * Math.ceil(h / 512);
}

export function estimateCostUsd(info: ModelInfo, inputTokens: number, outputTokens: number): number | null {
  if (info.inputUsdPerMTok === null || info.outputUsdPerMTok === null) return null;
  return (inputTokens * info.inputUsdPerMTok + outputTokens * info.outputUsdPerMTok) / 1e6;
}

export interface CostEstimate {
  model: string;
  imageTokens: number | null;
  inputTokensPerImage: number | null;
  outputTokensPerImage: number;
  usdPer100Images: number | null;
}

/**
 * Budget estimate for 100 pages: image tokens from the provider's tile rule, about 300 prompt text
 * tokens, about 80 answer tokens plus the family's typical hidden reasoning tokens.
 */
export function estimateCostPer100Images(provider: ProviderName, model: string, widthPx: number, heightPx: number): CostEstimate {
  const info = modelInfo(provider, model);
  const imageTokens = estimateImageTokens(info.imageTokens, widthPx, heightPx);
  const inputTokensPerImage = imageTokens === null ? null : imageTokens + 300;
  const outputTokensPerImage = 80 + info.typicalReasoningTokens;
  const perImage = inputTokensPerImage === null ? null : estimateCostUsd(info, inputTokensPerImage, outputTokensPerImage);
  return { model, imageTokens, inputTokensPerImage, outputTokensPerImage, usdPer100Images: perImage === null ? null : perImage * 100 };
}
