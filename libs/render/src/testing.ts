/** Fixtures for tests across the workspace: synthetic recordings with known shapes and the real example records. */
import { join } from 'node:path';
import {
  extractTarArchiveCached,
  LEAD_NAMES,
  readWfdbRecord,
  resolveCacheDir,
  resolveEcgDataDir,
  type EcgRecording,
  type LeadName,
} from '@leadwise/ecg';

export interface SyntheticRecordingOptions {
  samplingRateHz?: number;
  durationS?: number;
  recordName?: string;
  /** Value of every lead at every sample unless `shape` says otherwise. */
  shape?: (timeS: number, lead: LeadName) => number;
}

/** Beat-like bumps at 60 bpm: a 1 mV R wave at 0.5 s past each second, a 0.2 mV T wave 0.3 s later. */
export function beatShape(timeS: number, lead: LeadName): number {
  const phase = timeS % 1;
  const scale = lead === 'aVR' ? -1 : 1;
  return scale * (Math.exp(-(((phase - 0.5) / 0.012) ** 2)) + 0.2 * Math.exp(-(((phase - 0.8) / 0.05) ** 2)));
}

/** A 12-lead recording in canonical order, 10 s at 500 Hz of `beatShape` unless told otherwise. */
export function syntheticRecording(options: SyntheticRecordingOptions = {}): EcgRecording {
  const { samplingRateHz = 500, durationS = 10, recordName = 'synthetic', shape = beatShape } = options;
  const lengthSamples = Math.round(durationS * samplingRateHz);
  const signalsMv = LEAD_NAMES.map((lead) => {
    const signal = new Float32Array(lengthSamples);
    for (let i = 0; i < lengthSamples; i++) signal[i] = shape(i / samplingRateHz, lead);
    return signal;
  });
  return { recordName, samplingRateHz, lengthSamples, leadNames: [...LEAD_NAMES], signalsMv, ageYears: 60, sex: 'male' };
}

export type ExampleRecordName = 'ptbxl-00001' | 'chapman-JS00001';

/** Reads one of the two example records of the README from the shared data (archives extracted once into the cache). */
export async function readExampleRecord(name: ExampleRecordName): Promise<EcgRecording> {
  const dataDir = resolveEcgDataDir();
  if (name === 'ptbxl-00001') {
    const root = await extractTarArchiveCached(join(dataDir, 'ptbxl', 'ptbxl-records100-folds-1-2-3-9.tar.xz'), resolveCacheDir());
    const record = await readWfdbRecord(join(root, 'records100', '00000', '00001_lr.hea'));
    // PTB-XL keeps demographics in its table, not the header: row ecg_id 1 of ptbxl_database.csv has
    // age 56 and sex 1, which PTB-XL codes as female.
    return { ...record, ageYears: record.ageYears ?? 56, sex: record.sex ?? 'female' };
  }
  const root = await extractTarArchiveCached(join(dataDir, 'chapman-shaoxing-subset-400.tar.xz'), resolveCacheDir());
  return readWfdbRecord(join(root, 'chapman_shaoxing', 'WFDBRecords', '01', '010', 'JS00001.hea'));
}
