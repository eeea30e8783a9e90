/**
 * Normal-vs-abnormal label rules, exactly as defined in the data README (`../shared/data/README.md`).
 * Each rule is a plain function with a stable `name` (stored with the dataset so that a record's
 * label can always be traced to the rule that produced it). Adapters take the rule as an option,
 * so a study can swap in another definition without touching the readers.
 */

export const RECORD_LABELS = ['normal', 'abnormal', 'excluded'] as const;
export type RecordLabel = (typeof RECORD_LABELS)[number];

/**
 * Where a reader's P(abnormal) for a record came from (the zero-shot LLM arm): the label token's
 * log-probabilities, a stated probability, a 5-point ordinal scale, the bare label (1/0: an AUC from
 * it is balanced accuracy, not a ranking AUC), or nowhere. Kept here, the base both libs/llm and
 * libs/db build on, so that the stored column and the arm speak the same five values.
 */
export const SCORE_SOURCES = ['label-logprob', 'stated-probability', 'ordinal-scale', 'hard-label', 'none'] as const;
export type ScoreSource = (typeof SCORE_SOURCES)[number];

/** One SCP-ECG statement from PTB-XL's `scp_statements.csv`. */
export interface ScpStatement {
  code: string;
  diagnostic: boolean;
  form: boolean;
  rhythm: boolean;
  /** NORM, MI, STTC, CD, HYP; null for non-diagnostic statements. */
  diagnosticClass: string | null;
}

export interface PtbxlLabelRule {
  readonly ruleName: string;
  (scpCodes: Record<string, number>, statements: ReadonlyMap<string, ScpStatement>): RecordLabel;
}

export interface CincLabelRule {
  readonly ruleName: string;
  (dxCodes: readonly string[]): RecordLabel;
}

/** Rhythm statements that count as sinus rhythm (not abnormal) in PTB-XL. */
export const PTBXL_SINUS_RHYTHMS: ReadonlySet<string> = new Set(['SR', 'SBRAD', 'STACH', 'SARRH']);

/**
 * PTB-XL default: *abnormal* when any diagnostic statement has a class other than NORM (at any
 * likelihood, 0 included) or any rhythm statement is not a sinus rhythm; otherwise *normal* when
 * NORM is present; otherwise *excluded* (no diagnostic statement, sinus rhythm only).
 * Codes absent from scp_statements.csv carry no diagnostic or rhythm meaning and are ignored.
 */
export const ptbxlNormalVsAbnormal: PtbxlLabelRule = namedRule(
  'ptbxl-normal-vs-abnormal',
  (scpCodes: Record<string, number>, statements: ReadonlyMap<string, ScpStatement>): RecordLabel => {
    for (const code of Object.keys(scpCodes)) {
      const statement = statements.get(code);
      if (!statement) continue;
      if (statement.diagnostic && statement.diagnosticClass !== 'NORM') return 'abnormal';
      if (statement.rhythm && !PTBXL_SINUS_RHYTHMS.has(code)) return 'abnormal';
    }
    return 'NORM' in scpCodes ? 'normal' : 'excluded';
  },
);

/** SNOMED-CT codes of sinus rhythms: SR, sinus bradycardia, sinus tachycardia, sinus arrhythmia. */
export const SNOMED_SINUS_RHYTHMS: ReadonlySet<string> = new Set(['426783006', '426177001', '427084000', '427393009']);

/**
 * CinC / Chapman-Shaoxing default: *normal* when every `#Dx` code is a sinus rhythm, *abnormal*
 * otherwise. A record without any `#Dx` code says nothing and is *excluded*.
 */
export const cincSinusOnlyIsNormal: CincLabelRule = namedRule('cinc-sinus-only-is-normal', (dxCodes: readonly string[]): RecordLabel => {
  if (dxCodes.length === 0) return 'excluded';
  return dxCodes.every((code) => SNOMED_SINUS_RHYTHMS.has(code)) ? 'normal' : 'abnormal';
});

/** Manifest labels are given, not derived: `normal`, `abnormal` or `excluded` (any case); null when unknown. */
export function manifestLabel(raw: string): RecordLabel | null {
  const label = raw.trim().toLowerCase();
  return label === 'normal' || label === 'abnormal' || label === 'excluded' ? label : null;
}

/** Gives a rule its stable name (a function's own `name` is read-only and changes with bundling). */
export function namedRule<F extends (...args: never[]) => RecordLabel>(ruleName: string, rule: F): F & { readonly ruleName: string } {
  return Object.assign(rule, { ruleName });
}
