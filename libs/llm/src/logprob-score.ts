import type { BinaryLabel } from './llm-request.ts';

/** One generated token with its log-probability and the alternatives the API returned for that step. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  top: { token: string; logprob: number }[];
}

export interface LabelTokenProbability {
  /** P(abnormal) renormalised over the alternatives that spell either label at that step. */
  pAbnormal: number;
  /** The generated label and its own token probability. */
  chosenLabel: BinaryLabel;
  chosenProbability: number;
  /** Probability mass of the step's alternatives that spell neither label (not used in pAbnormal). */
  otherMass: number;
}

function sideOf(fragment: string): BinaryLabel | null {
  const word = fragment.replace(/^[\s"'`]+/, '').toLowerCase();
  if (word === '') return null;
  if (word.startsWith('ab') || (word.length < 2 && 'abnormal'.startsWith(word))) return 'abnormal';
  if ('normal'.startsWith(word) || word.startsWith('normal')) return 'normal';
  return null;
}

/**
 * Reads P(label) from token log-probabilities: finds the step that starts the value of `"label"` in
 * the generated JSON, and sums the probabilities of the alternatives at that step that begin
 * "abnormal" (e.g. `abnormal`, `ab`, `Ab`) against those that begin "normal". Tokens are matched on
 * the text after whatever the chosen token carried before the value (a token may be ` "ab`).
 * Returns null when there is no label field, no alternatives, or the chosen token spells neither.
 */
export function labelProbabilityFromLogprobs(tokens: readonly TokenLogprob[]): LabelTokenProbability | null {
  if (tokens.length === 0) return null;
  let text = '';
  const starts: number[] = [];
  for (const token of tokens) {
    starts.push(text.length);
    text += token.token;
  }
  const match = /"label"\s*:\s*"/i.exec(text);
  if (!match) return null;
  const valueStart = match.index + match[0].length;
  const index = starts.findIndex((start, i) => start <= valueStart && valueStart < start + tokens[i].token.length);
  if (index < 0) return null;
  const chosen = tokens[index];
  const prefix = text.slice(starts[index], valueStart);
  const chosenSide = sideOf(chosen.token.slice(prefix.length));
  if (chosenSide === null) return null;
  let abnormalMass = 0;
  let normalMass = 0;
  let otherMass = 0;
  const alternatives = chosen.top.length > 0 ? chosen.top : [{ token: chosen.token, logprob: chosen.logprob }];
  const seen = new Set<string>();
  for (const alternative of alternatives) {
    if (seen.has(alternative.token)) continue;
    seen.add(alternative.token);
    const p = Math.exp(alternative.logprob);
    const side = alternative.token.startsWith(prefix) ? sideOf(alternative.token.slice(prefix.length)) : null;
    if (side === 'abnormal') abnormalMass += p;
    else if (side === 'normal') normalMass += p;
    else otherMass += p;
  }
  if (abnormalMass + normalMass <= 0) return null;
  return {
    pAbnormal: abnormalMass / (abnormalMass + normalMass),
    chosenLabel: chosenSide,
    chosenProbability: Math.exp(chosen.logprob),
    otherMass,
  };
}
