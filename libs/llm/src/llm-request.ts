import { LlmPromptError } from './errors.ts';
import { sha256Hex, type RegisteredPrompt } from './prompts.ts';

/** One page as it is sent: the exact bytes, their hash, and the resolution actually sent. */
export interface LlmImage {
  bytes: Uint8Array;
  mimeType: 'image/png' | 'image/jpeg';
  /** SHA-256 (hex) of `bytes`: part of the cache key. */
  sha256: string;
  widthPx: number;
  heightPx: number;
  /** Render DPI of the page as sent (after any downscale), or null when unknown. */
  dpi: number | null;
}

export type BinaryLabel = 'normal' | 'abnormal';

/** A labelled example page for few-shot prompts, with where it came from so leakage can be refused. */
export interface FewShotExample {
  image: LlmImage;
  label: BinaryLabel;
  recordKey: string;
  split: string;
  patientKey?: string | null;
}

export interface LlmRequest {
  prompt: RegisteredPrompt;
  image: LlmImage;
  /** The record on the page and the split being evaluated: few-shot examples may come from neither. */
  target: { recordKey: string; split: string; patientKey?: string | null };
  examples?: readonly FewShotExample[];
  temperature: number;
  maxOutputTokens?: number;
}

export type RequestPart = { type: 'text'; text: string } | { type: 'image'; image: LlmImage };

/** Splits that may never provide few-shot examples, whatever split is evaluated. */
const HELD_OUT_SPLITS = new Set(['test']);

/**
 * Refuses few-shot examples that would leak the evaluation set: an example from the evaluated split
 * or any test split, the target record itself, or another record of the same patient.
 */
export function assertFewShotExamplesAllowed(examples: readonly FewShotExample[], target: LlmRequest['target']): void {
  for (const example of examples) {
    if (example.split === target.split || HELD_OUT_SPLITS.has(example.split)) {
      throw new LlmPromptError(`few-shot example ${example.recordKey} is from split "${example.split}"; examples must not come from the evaluated split ("${target.split}") or a test split`);
    }
    if (example.recordKey === target.recordKey) {
      throw new LlmPromptError(`few-shot example ${example.recordKey} is the record being classified`);
    }
    if (example.patientKey && target.patientKey && example.patientKey === target.patientKey) {
      throw new LlmPromptError(`few-shot example ${example.recordKey} shares patient ${example.patientKey} with the record being classified`);
    }
  }
}

/** The ordered text and image parts of a request, shared by every provider so they see the same thing. */
export function buildRequestParts(request: LlmRequest): RequestPart[] {
  const examples = request.examples ?? [];
  if (request.prompt.fewShot) {
    if (examples.length === 0) throw new LlmPromptError(`prompt ${request.prompt.name} needs at least one labelled example`);
    assertFewShotExamplesAllowed(examples, request.target);
    const parts: RequestPart[] = [{ type: 'text', text: request.prompt.text }];
    examples.forEach((example, index) => {
      parts.push({ type: 'text', text: `Example ${index + 1}: this ECG is ${example.label}.` });
      parts.push({ type: 'image', image: example.image });
    });
    parts.push({ type: 'text', text: 'ECG to classify:' });
    parts.push({ type: 'image', image: request.image });
    return parts;
  }
  if (examples.length > 0) throw new LlmPromptError(`prompt ${request.prompt.name} is zero-shot but ${examples.length} examples were given`);
  return [
    { type: 'text', text: request.prompt.text },
    { type: 'image', image: request.image },
  ];
}

/**
 * The hash that identifies what the model was asked: the prompt text's hash for zero-shot prompts;
 * for few-shot prompts it also covers the examples (their labels and image hashes, in order).
 */
export function effectivePromptHash(prompt: RegisteredPrompt, examples: readonly FewShotExample[] = []): string {
  if (!prompt.fewShot || examples.length === 0) return prompt.sha256;
  const identity = examples.map((e) => `${e.label}:${e.image.sha256}`).join('\n');
  return sha256Hex(`${prompt.sha256}\n${identity}`);
}
