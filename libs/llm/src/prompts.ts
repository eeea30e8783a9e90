import { createHash } from 'node:crypto';
import { LlmPromptError } from './errors.ts';

/**
 * The prompt registry. Each prompt is stored verbatim with a version and the SHA-256 of its exact
 * text, and that hash is saved with every response and every run, so a result can always be traced
 * to the words the model saw. Never edit a registered text: add a new version instead (a test pins
 * the hashes).
 */

/** How the answer carries a rankable score. */
export type PromptScale = 'probability-unit' | 'probability-percent' | 'ordinal-5';

export interface PromptDefinition {
  /** Stable name used on the command line, e.g. `study-zero-shot`. */
  name: string;
  version: number;
  scale: PromptScale;
  /** Few-shot prompts take k labelled example images before the image to classify. */
  fewShot: boolean;
  /** Where the text comes from, for the report's methods section. */
  provenance: string;
  text: string;
}

export interface RegisteredPrompt extends PromptDefinition {
  /** SHA-256 (hex) of `text` as UTF-8. */
  sha256: string;
}

const ANSWER_RULES =
  'Answer with a single JSON object and nothing else, exactly in this form:\n';

const ECG_CONTEXT =
  'The image is a standard 12-lead electrocardiogram (ECG) printed on one page: leads I, II, III, aVR, aVL, aVF and V1-V6 ' +
  'in a 3 x 4 layout with a lead II rhythm strip, recorded at 25 mm/s and 10 mm/mV.';

const DEFINITIONS =
  'Normal means sinus rhythm with no abnormal finding. Abnormal means any abnormal rhythm, conduction disturbance, ' +
  'ischaemia or infarction, ST-T change, hypertrophy or other diagnostic abnormality.';

const DEFINITIONS_LIST: PromptDefinition[] = [
  {
    name: 'study-zero-shot',
    version: 1,
    scale: 'probability-unit',
    fewShot: false,
    provenance:
      'Reconstruction. The seed paper states a fixed zero-shot prompt for a binary normal/abnormal task but does not reproduce ' +
      'its text (a referee asked for it; the authors promised it for the revision). This text follows the paper\'s description: ' +
      'one single-page 12-lead image, no examples, a normal/abnormal decision, plus the structured answer this project needs.',
    text:
      `${ECG_CONTEXT}\n\nClassify this ECG as "normal" or "abnormal". ${DEFINITIONS}\n\n` +
      ANSWER_RULES +
      '{"label": "normal" or "abnormal", "probability": <a number from 0 to 1: your probability that this ECG is abnormal>, ' +
      '"narrative": "<one or two sentences describing the ECG>"}',
  },
  {
    name: 'ordinal-confidence',
    version: 1,
    scale: 'ordinal-5',
    fewShot: false,
    provenance: 'Variant: a 5-point ordinal confidence scale, as in Lee et al. 2025 (rankable without stated probabilities).',
    text:
      `${ECG_CONTEXT}\n\nClassify this ECG as "normal" or "abnormal". ${DEFINITIONS}\n\n` +
      'Rate your confidence on this scale: 1 = definitely normal, 2 = probably normal, 3 = uncertain, 4 = probably abnormal, ' +
      '5 = definitely abnormal.\n\n' +
      ANSWER_RULES +
      '{"label": "normal" or "abnormal", "confidence": <an integer from 1 to 5 on the scale above>, ' +
      '"narrative": "<one or two sentences describing the ECG>"}',
  },
  {
    name: 'probability-100',
    version: 1,
    scale: 'probability-percent',
    fewShot: false,
    provenance: 'Variant: a stated 0-100 probability of abnormality.',
    text:
      `${ECG_CONTEXT}\n\nClassify this ECG as "normal" or "abnormal". ${DEFINITIONS}\n\n` +
      ANSWER_RULES +
      '{"label": "normal" or "abnormal", "probability": <an integer from 0 to 100: the probability in percent that this ECG is abnormal>, ' +
      '"narrative": "<one or two sentences describing the ECG>"}',
  },
  {
    name: 'few-shot',
    version: 1,
    scale: 'probability-unit',
    fewShot: true,
    provenance:
      'Variant: few-shot with k labelled example pages before the page to classify (Engelstein et al. 2025 report a large gain ' +
      'for GPT-4o). Examples are never taken from the evaluated split.',
    text:
      `Each image below is a standard 12-lead electrocardiogram (ECG) printed on one page (3 x 4 layout with a lead II rhythm ` +
      `strip, 25 mm/s, 10 mm/mV). ${DEFINITIONS}\n\nThe first images are labelled examples. Then classify the last ECG as ` +
      '"normal" or "abnormal".\n\n' +
      ANSWER_RULES +
      '{"label": "normal" or "abnormal", "probability": <a number from 0 to 1: your probability that the last ECG is abnormal>, ' +
      '"narrative": "<one or two sentences describing the last ECG>"}',
  },
];

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const REGISTRY: ReadonlyMap<string, RegisteredPrompt> = new Map(
  DEFINITIONS_LIST.map((definition) => [definition.name, Object.freeze({ ...definition, sha256: sha256Hex(definition.text) })]),
);

export const DEFAULT_PROMPT_NAME = 'study-zero-shot';

export function listPrompts(): RegisteredPrompt[] {
  return [...REGISTRY.values()];
}

/** Looks a prompt up by name (optionally `name@version`); throws a typed error listing the known ones. */
export function getPrompt(nameWithVersion: string): RegisteredPrompt {
  const [name, versionText] = nameWithVersion.split('@');
  const prompt = REGISTRY.get(name);
  if (!prompt || (versionText !== undefined && Number(versionText) !== prompt.version)) {
    throw new LlmPromptError(`unknown prompt "${nameWithVersion}"; known: ${listPrompts().map((p) => `${p.name}@${p.version}`).join(', ')}`);
  }
  return prompt;
}
