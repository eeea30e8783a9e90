import { LlmResponseStore, type LeadwiseDatabase, type LlmResponse, type NewLlmResponse } from '@leadwise/db';
import {
  cacheKeyString,
  parseAnswer,
  type LlmCacheKey,
  type LlmResponseCache,
  type LlmResponseRecord,
  type ProviderName,
  type RegisteredPrompt,
} from '@leadwise/llm';

export interface DbResponseCacheContext {
  db: LeadwiseDatabase;
  runId: number;
  prompt: RegisteredPrompt;
  /** Record id for each job's record key. */
  recordIds: ReadonlyMap<string, number>;
  /** `grid` or `none`: stored with each answer. */
  imageStyle: string;
}

/**
 * The LLM response cache over `llm_responses` (libs/db): one row per cache key, inserted as each
 * answer arrives, error rows replaced when retried. The table stores the raw text, the parsed label,
 * the score used and its source; the rest (stated score, narrative, refusal) is re-derived from the
 * raw text by the same deterministic parser when rows are read back.
 */
export class DbLlmResponseCache implements LlmResponseCache {
  private readonly store: LlmResponseStore;
  private readonly recordKeys = new Map<number, string>();

  constructor(private readonly context: DbResponseCacheContext) {
    this.store = new LlmResponseStore(context.db);
    for (const [key, id] of context.recordIds) this.recordKeys.set(id, key);
  }

  async findMany(keys: readonly LlmCacheKey[]): Promise<LlmResponseRecord[]> {
    const wanted = new Set(keys.map(cacheKeyString));
    const groups = new Map<string, { model: string; promptHash: string; shas: Set<string> }>();
    for (const key of keys) {
      const id = `${key.model}|${key.promptHash}`;
      const group = groups.get(id) ?? { model: key.model, promptHash: key.promptHash, shas: new Set<string>() };
      group.shas.add(key.imageSha256);
      groups.set(id, group);
    }
    const found: LlmResponseRecord[] = [];
    for (const group of groups.values()) {
      for (const row of await this.store.listForImages(group.model, group.promptHash, [...group.shas])) {
        const record = this.recordFromRow(row);
        if (wanted.has(cacheKeyString(record))) found.push(record);
      }
    }
    return found;
  }

  async save(record: LlmResponseRecord): Promise<void> {
    const recordId = this.context.recordIds.get(record.recordKey);
    if (recordId === undefined) throw new Error(`llm arm: no record id for ${record.recordKey}`);
    await this.store.insertIfAbsent(this.rowFromRecord(record, recordId));
  }

  rowFromRecord(record: LlmResponseRecord, recordId: number): NewLlmResponse {
    return {
      runId: this.context.runId,
      recordId,
      model: record.model,
      provider: record.provider,
      promptName: `${record.promptName}@${record.promptVersion}`,
      promptHash: record.promptHash,
      imageSha256: record.imageSha256,
      imageStyle: this.context.imageStyle,
      repeatIndex: record.repeat,
      temperature: record.temperature,
      rawText: record.rawText,
      parsedLabel: record.label === null ? null : record.label === 'abnormal' ? 1 : 0,
      parsedScore: record.score,
      scoreSource: record.scoreSource,
      parseStatus: record.status === 'error' ? 'error' : record.parseStatus === 'parsed' ? 'parsed' : 'unparseable',
      latencyMs: record.latencyMs,
      promptTokens: record.inputTokens,
      completionTokens: record.outputTokens,
      costUsd: record.costUsd,
      error: record.error,
    };
  }

  recordFromRow(row: LlmResponse): LlmResponseRecord {
    const { prompt } = this.context;
    const parsed = parseAnswer(row.rawText, prompt.scale);
    const label = row.parsedLabel === null ? null : row.parsedLabel === 1 ? 'abnormal' : 'normal';
    const separator = row.model.indexOf(':');
    const [promptName, version] = row.promptName.split('@');
    return {
      model: row.model,
      promptHash: row.promptHash,
      imageSha256: row.imageSha256,
      repeat: row.repeatIndex,
      provider: row.provider as ProviderName,
      modelId: separator >= 0 ? row.model.slice(separator + 1) : row.model,
      servedModel: null,
      promptName,
      promptVersion: Number(version ?? prompt.version),
      recordKey: this.recordKeys.get(row.recordId) ?? String(row.recordId),
      status: row.parseStatus === 'error' ? 'error' : 'ok',
      parseStatus: row.parseStatus === 'error' ? null : row.parseStatus === 'parsed' ? 'parsed' : 'unparsed',
      parseMethod: parsed.method,
      label,
      statedScore: parsed.statedScore,
      logprobScore: row.scoreSource === 'label-logprob' ? row.parsedScore : null,
      score: row.parsedScore,
      scoreSource: row.scoreSource,
      narrative: parsed.narrative,
      refusal: parsed.refusal,
      rawText: row.rawText,
      finishReason: null,
      notes: parsed.notes,
      temperature: row.temperature,
      logprobsRequested: row.scoreSource === 'label-logprob',
      latencyMs: row.latencyMs,
      inputTokens: row.promptTokens,
      outputTokens: row.completionTokens,
      reasoningTokens: null,
      costUsd: row.costUsd,
      attempts: 0,
      error: row.error,
      errorKind: null,
      imageWidthPx: null,
      imageHeightPx: null,
      imageDpi: null,
      imageBytes: null,
      createdAt: row.createdAt,
    };
  }
}
