/** The twelve standard leads, in the order PTB-XL and the CinC files store them. */
export const LEAD_NAMES = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] as const;
export type LeadName = (typeof LEAD_NAMES)[number];

/** Anatomical lead groups used by LeadGroupECG and by every lead-group attribution. */
export const LEAD_GROUPS = {
  inferior: ['II', 'III', 'aVF'],
  lateral: ['I', 'aVL', 'V5', 'V6'],
  septal: ['V1', 'V2'],
  anterior: ['V3', 'V4'],
  aVR: ['aVR'],
} as const satisfies Record<string, readonly LeadName[]>;
export type LeadGroupName = keyof typeof LEAD_GROUPS;
export const LEAD_GROUP_NAMES = Object.keys(LEAD_GROUPS) as LeadGroupName[];

const canonicalByLowercase = new Map<string, LeadName>(LEAD_NAMES.map((name) => [name.toLowerCase(), name]));

/** Maps a lead name as written in a file (`AVR`, `avr`, `v1`, ` II `) to its canonical form, or null. */
export function normalizeLeadName(raw: string): LeadName | null {
  return canonicalByLowercase.get(raw.trim().toLowerCase()) ?? null;
}
