import type { Command } from 'commander';
import { GRID_STYLES, LAYOUT_NAMES, renderOptionsFromFlags, type RenderFlagValues } from '@leadwise/render';
import { renderRecordFile } from '@leadwise/study';
import { printResult } from '../cli-kit.ts';
import type { Sex } from '@leadwise/ecg';

/** Flags shared by `render-record` and `render`. */
export function addRenderFlags(command: Command): Command {
  return command
    .option('--style <style>', `grid style: grid (= red), ${GRID_STYLES.join(', ')}`, 'red')
    .option('--dpi <n>', 'resolution in dots per inch', '200')
    .option('--layout <layout>', `page layout: ${LAYOUT_NAMES.join(', ')}`, 'standard')
    .option('--speed <mm/s>', 'paper speed: 25 or 50 mm/s', '25')
    .option('--gain <mm/mV>', 'gain: 5, 10 or 20 mm/mV', '10')
    .option('--paper <size>', 'paper: letter or a4 (landscape)', 'letter')
    .option('--no-header', 'leave out the header (record id, age, sex, speed, gain, filter)');
}

export class DemographicsFlagError extends Error {
  override name = 'DemographicsFlagError';
}

function demographicsFromFlags(age: string | undefined, sex: string | undefined): { ageYears?: number; sex?: Sex } {
  const ageYears = age === undefined ? undefined : Number(age);
  if (ageYears !== undefined && !(Number.isFinite(ageYears) && ageYears >= 0 && ageYears < 150)) {
    throw new DemographicsFlagError(`--age must be a number of years from 0 to 150, got ${JSON.stringify(age)}`);
  }
  if (sex !== undefined && sex !== 'male' && sex !== 'female') throw new DemographicsFlagError(`--sex must be male or female, got ${JSON.stringify(sex)}`);
  return { ageYears, sex };
}

export function register(program: Command): void {
  addRenderFlags(
    program
      .command('render-record')
      .description('Render one WFDB record as a 12-lead ECG page: PNG plus a JSON sidecar (lead boxes, px per mm/s/mV, options)')
      .argument('<header>', 'record header path (NAME.hea), or zip!/entry.hea')
      .requiredOption('--out <png>', 'PNG to write; the sidecar goes beside it with .json'),
  )
    .option('--age <years>', "patient age for the header when the record's header lacks it (PTB-XL keeps it in its table)")
    .option('--sex <sex>', 'patient sex for the header (male or female), as --age')
    .option('--json', 'print JSON')
    .action(async (header: string, opts: RenderFlagValues & { out: string; age?: string; sex?: string; json?: boolean }) => {
      const options = renderOptionsFromFlags(opts);
      const files = await renderRecordFile(header, opts.out, options, demographicsFromFlags(opts.age, opts.sex));
      const result = {
        png: files.pngPath,
        sidecar: files.sidecarPath,
        sha256: files.sha256,
        sizeBytes: files.sizeBytes,
        widthPx: files.sidecar.widthPx,
        heightPx: files.sidecar.heightPx,
        pxPerMm: files.sidecar.pxPerMm,
        options,
      };
      printResult(result, opts.json, (r) => `wrote ${r.png} (${r.widthPx}x${r.heightPx}, ${(r.sizeBytes / 1024).toFixed(0)} KiB) and ${r.sidecar}`);
    });
}
