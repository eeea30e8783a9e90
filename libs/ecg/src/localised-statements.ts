import type { LeadGroupName } from './leads.ts';

/**
 * PTB-XL SCP statements that place a finding in an anatomical lead group: infarction (…MI), injury
 * (INJ…) and ischaemia (ISC…) "in inferior / lateral / septal / anterior leads". A statement that
 * names two regions (ILMI inferolateral, ASMI anteroseptal, ISCAL anterolateral, …) counts in both.
 * No statement localises to aVR, so that group has no target. In folds 1-2 (4,356 records) these give
 * inferior 730, lateral 421, septal 548 and anterior 737 records (issue 13).
 */
export const LOCALISED_STATEMENTS = {
  inferior: ['IMI', 'ILMI', 'IPLMI', 'IPMI', 'INJIN', 'INJIL', 'ISCIN', 'ISCIL'],
  lateral: ['LMI', 'ILMI', 'IPLMI', 'ALMI', 'ISCIL', 'ISCAL', 'ISCLA', 'INJAL', 'INJLA', 'INJIL'],
  septal: ['ASMI', 'INJAS', 'ISCAS'],
  anterior: ['AMI', 'ASMI', 'ALMI', 'INJAS', 'INJAL', 'ISCAS', 'ISCAL', 'ISCAN'],
} as const satisfies Partial<Record<LeadGroupName, readonly string[]>>;
export type LocalisedGroupName = keyof typeof LOCALISED_STATEMENTS;
export const LOCALISED_GROUP_NAMES = Object.keys(LOCALISED_STATEMENTS) as LocalisedGroupName[];

/**
 * Per localised group (LOCALISED_GROUP_NAMES order), 1 when the record carries one of the group's
 * statements at any likelihood, else 0; null for codes that are not PTB-XL SCP statements (a CinC
 * `#Dx` list or a manifest label), which localise nothing.
 */
export function localisedGroupTargets(sourceCodes: Record<string, number> | readonly string[]): (0 | 1)[] | null {
  if (Array.isArray(sourceCodes)) return null;
  const codes = new Set(Object.keys(sourceCodes));
  return LOCALISED_GROUP_NAMES.map((group) => (LOCALISED_STATEMENTS[group].some((code) => codes.has(code)) ? 1 : 0));
}
