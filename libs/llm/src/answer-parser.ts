import type { BinaryLabel } from './llm-request.ts';
import type { PromptScale } from './prompts.ts';

/**
 * Turns a model's answer into a label and a stated score, or says it could not. Strict JSON first;
 * then JSON embedded in prose or code fences; then the words themselves, with word boundaries
 * ("abnormal" never counts as "normal") and negation ("not abnormal" is normal). An answer that
 * names both labels, or neither, is unparsed: it is stored as such and never replaced by a guess.
 */

export type ParseMethod = 'strict-json' | 'embedded-json' | 'text';

export interface ParsedAnswer {
  status: 'parsed' | 'unparsed';
  method: ParseMethod | null;
  label: BinaryLabel | null;
  /** The stated score as P(abnormal) in [0, 1]: a probability, or an ordinal level mapped linearly. */
  statedScore: number | null;
  narrative: string | null;
  /** The answer reads as a refusal to classify. */
  refusal: boolean;
  /** Things a reader should know: a rescaled probability, a label that contradicts its probability... */
  notes: string[];
}

const NEGATION = /\b(not|no|never|neither|nor|isn'?t|aren'?t|wasn'?t|cannot|can'?t|without)\b/i;
const REFUSAL =
  /\b(i'?m sorry|i am sorry|i apologi[sz]e|i can(?:not|'?t) (?:help|provide|assist|interpret|analy[sz]e|determine|make)|unable to (?:provide|interpret|analy[sz]e|determine|classify)|not able to (?:provide|interpret|diagnose)|consult (?:a|your) (?:physician|doctor|cardiologist))/i;

/** Classifies a short phrase such as a JSON label value or a sentence; null when it names no label or both. */
export function labelFromText(text: string): BinaryLabel | null {
  const found = new Set<BinaryLabel>();
  const pattern = /\b(abnormal|normal)\b/gi;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    let label = match[1].toLowerCase() as BinaryLabel;
    // Negation within the three words before the label word, inside the same clause.
    const before = text.slice(0, match.index).split(/[.;:!?,\n(]/).pop() ?? '';
    const window = before.trim().split(/\s+/).slice(-3).join(' ');
    if (NEGATION.test(window)) label = label === 'normal' ? 'abnormal' : 'normal';
    found.add(label);
  }
  return found.size === 1 ? [...found][0] : null;
}

function toNumber(value: unknown): { value: number; percent: boolean } | null {
  if (typeof value === 'number' && Number.isFinite(value)) return { value, percent: false };
  if (typeof value === 'string') {
    const match = /^\s*(-?\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(value);
    if (match) return { value: Number(match[1]), percent: match[2] === '%' };
  }
  return null;
}

/** Maps a stated number to P(abnormal) under the prompt's scale; null with a note when out of range. */
function scoreFromNumber(raw: { value: number; percent: boolean }, scale: PromptScale, notes: string[]): number | null {
  const { value, percent } = raw;
  if (scale === 'ordinal-5') {
    if (Number.isInteger(value) && value >= 1 && value <= 5) return (value - 1) / 4;
    notes.push(`confidence ${value} is not an integer from 1 to 5`);
    return null;
  }
  if (scale === 'probability-percent' || percent) {
    if (value >= 0 && value <= 100) return value / 100;
    notes.push(`probability ${value}% is outside 0-100`);
    return null;
  }
  if (value >= 0 && value <= 1) return value;
  // Asked for 0-1, answered e.g. 85: the unit is unambiguous, so rescale and say so.
  if (value > 1 && value <= 100) {
    notes.push(`probability ${value} read as percent`);
    return value / 100;
  }
  notes.push(`probability ${value} is outside 0-1`);
  return null;
}

function fromObject(object: Record<string, unknown>, scale: PromptScale, method: ParseMethod, rawText: string): ParsedAnswer | null {
  const lowerKeys = new Map(Object.keys(object).map((key) => [key.toLowerCase(), key]));
  const field = (...names: string[]): unknown => {
    for (const name of names) {
      const key = lowerKeys.get(name);
      if (key !== undefined) return object[key];
    }
    return undefined;
  };
  const labelValue = field('label', 'classification', 'class', 'answer', 'diagnosis');
  const scoreValue = scale === 'ordinal-5' ? field('confidence', 'rating', 'score') : field('probability', 'probability_abnormal', 'p_abnormal', 'score');
  if (labelValue === undefined && scoreValue === undefined) return null;
  const notes: string[] = [];
  const label = typeof labelValue === 'string' ? labelFromText(labelValue) : null;
  if (labelValue !== undefined && label === null) notes.push(`label ${JSON.stringify(labelValue)} names neither or both classes`);
  const number = toNumber(scoreValue);
  const statedScore = number ? scoreFromNumber(number, scale, notes) : null;
  if (scoreValue !== undefined && number === null) notes.push(`score ${JSON.stringify(scoreValue)} is not a number`);
  if (label !== null && statedScore !== null && statedScore !== 0.5 && (statedScore > 0.5) !== (label === 'abnormal')) {
    notes.push('label contradicts the stated score');
  }
  const narrativeValue = field('narrative', 'explanation', 'description', 'reasoning');
  return {
    status: label ? 'parsed' : 'unparsed',
    method,
    label,
    statedScore,
    narrative: typeof narrativeValue === 'string' ? narrativeValue : null,
    refusal: label === null && REFUSAL.test(rawText),
    notes,
  };
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Balanced `{...}` substrings, outermost first, skipping braces inside JSON strings. */
export function findJsonObjects(text: string): string[] {
  const objects: string[] = [];
  for (let start = text.indexOf('{'); start >= 0; start = text.indexOf('{', start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) {
        objects.push(text.slice(start, i + 1));
        start = i;
        break;
      }
    }
  }
  return objects;
}

export function parseAnswer(rawText: string | null | undefined, scale: PromptScale): ParsedAnswer {
  const text = (rawText ?? '').trim();
  const unparsed = (notes: string[]): ParsedAnswer => ({ status: 'unparsed', method: null, label: null, statedScore: null, narrative: null, refusal: REFUSAL.test(text), notes });
  if (text === '') return unparsed(['empty answer']);

  try {
    const object = asRecord(JSON.parse(text));
    const parsed = object && fromObject(object, scale, 'strict-json', text);
    if (parsed) return parsed;
  } catch {
    // Not strict JSON: fall through to the tolerant readers.
  }

  for (const candidate of findJsonObjects(text)) {
    try {
      const object = asRecord(JSON.parse(candidate));
      const parsed = object && fromObject(object, scale, 'embedded-json', text);
      if (parsed) return parsed;
    } catch {
      // A brace pair that is not JSON (prose, a truncated answer): try the next one.
    }
  }

  // Free text: an explicit "label: x" line wins; otherwise the whole answer must name exactly one class.
  const labelLine = /\blabel\b["'\s]*[:=]\s*["']?([a-z ]{1,20}?)["'\s,.}]*(?:$|\n)/im.exec(text);
  const label = labelLine ? labelFromText(labelLine[1]) : labelFromText(text.replace(/```[a-z]*|```/gi, ' '));
  if (label === null) return unparsed(['no single normal/abnormal label found']);
  const notes: string[] = [];
  const keyword = scale === 'ordinal-5' ? 'confidence' : 'probability';
  const numberMatch = new RegExp(`\\b${keyword}\\b[^0-9\\n]{0,20}(\\d+(?:\\.\\d+)?)\\s*(%?)`, 'i').exec(text);
  const statedScore = numberMatch ? scoreFromNumber({ value: Number(numberMatch[1]), percent: numberMatch[2] === '%' }, scale, notes) : null;
  return { status: 'parsed', method: 'text', label, statedScore, narrative: text, refusal: false, notes };
}
