import { createHash } from 'node:crypto';
import { GlobalFonts, loadImage, createCanvas } from '@napi-rs/canvas';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EcgRecording, LeadName } from '@leadwise/ecg';
import { LEAD_NAMES, leadSignal } from '@leadwise/ecg';
import { drawPage, encodePng, LABEL_FONT_FAMILY, rasterizePage, readPngDpi, renderPage, RenderOptionsError, withPngDpi, type LeadBox, type RenderOptions } from './index.ts';
import { readExampleRecord, syntheticRecording } from './testing.ts';

/** Pixels of a page as renderPage encodes them (gray or RGB). */
function pagePixels(recording: EcgRecording, options: RenderOptions) {
  const { image, sidecar } = rasterizePage(recording, options);
  const { data, channels, widthPx: width, heightPx: height } = image;
  const value = (x: number, y: number) => data[channels * (y * width + x)];
  const dark = (x: number, y: number) => value(x, y) < 160;
  return { data, channels, sidecar, width, height, value, dark };
}

/** The same through the canvas renderer (drawPage), as RGBA. */
function canvasPixels(recording: EcgRecording, options: RenderOptions) {
  const { canvas, sidecar } = drawPage(recording, options);
  const rgba = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  return { rgba, sidecar, width: canvas.width, height: canvas.height };
}

const bare: RenderOptions = { gridStyle: 'none', showHeader: false, showLabels: false, showCalibration: false, showSeparators: false };
const onlyLeads = (leads: LeadName[]): LeadName[] => LEAD_NAMES.filter((lead) => !leads.includes(lead));

let ptbxl: EcgRecording;
beforeAll(async () => {
  ptbxl = await readExampleRecord('ptbxl-00001');
});

describe('calibration pulse', () => {
  // Known answers: 1 mV x 0.2 s at gain G mm/mV and speed S mm/s is G mm tall and 0.2*S mm wide;
  // px = mm * dpi / 25.4 (10 mm at 200 dpi = 78.74 px; 5 mm = 39.37 px).
  for (const { dpi, gain, speed, tallMm, wideMm } of [
    { dpi: 200, gain: 10, speed: 25, tallMm: 10, wideMm: 5 },
    { dpi: 300, gain: 20, speed: 50, tallMm: 20, wideMm: 10 },
  ] as const) {
    it(`is ${tallMm} mm tall and ${wideMm} mm wide at ${dpi} dpi, ${gain} mm/mV, ${speed} mm/s`, () => {
      const page = pagePixels(ptbxl, { ...bare, showCalibration: true, dpi, gainMmPerMv: gain, paperSpeedMmPerS: speed, hiddenLeads: [...LEAD_NAMES] });
      const pxPerMm = dpi / 25.4;
      const content = page.sidecar.layout.contentPx;
      const rowBottom = Math.round(content.y0 + page.sidecar.layout.rowPitchMm * pxPerMm);
      // Columns whose ink spans more than half the pulse height are the two vertical strokes.
      const strokeColumns: number[] = [];
      const inkRows: number[] = [];
      for (let x = Math.floor(content.x0); x < Math.floor(content.x0 + 20 * pxPerMm); x++) {
        let run = 0;
        for (let y = Math.floor(content.y0); y < rowBottom; y++) {
          if (page.dark(x, y)) {
            run++;
            inkRows.push(y);
          }
        }
        if (run > (tallMm * pxPerMm) / 2) strokeColumns.push(x);
      }
      const left = strokeColumns.filter((x) => x < strokeColumns[0] + 5);
      const right = strokeColumns.filter((x) => x > strokeColumns[strokeColumns.length - 1] - 5);
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      expect(mean(right) - mean(left)).toBeCloseTo(wideMm * pxPerMm, -0.3);
      // Top stroke: rows inked between the strokes; baseline: rows inked in the lead-in.
      const between = Math.round((mean(left) + mean(right)) / 2);
      const topRows: number[] = [];
      for (let y = Math.floor(content.y0); y < rowBottom; y++) if (page.dark(between, y)) topRows.push(y);
      const leadInX = Math.round(mean(left) - 0.75 * pxPerMm);
      const baseRows: number[] = [];
      for (let y = Math.floor(content.y0); y < rowBottom; y++) if (page.dark(leadInX, y)) baseRows.push(y);
      expect(mean(baseRows) - mean(topRows)).toBeCloseTo(tallMm * pxPerMm, -0.3);
    });
  }
});

describe('time and voltage mapping', () => {
  it('draws a 2.5 s column 62.5 mm wide', () => {
    const page = pagePixels(ptbxl, { ...bare, hiddenLeads: onlyLeads(['I']) });
    const pxPerMm = 200 / 25.4;
    let minX = Infinity;
    let maxX = -Infinity;
    for (let y = 0; y < page.height; y++) {
      for (let x = 0; x < page.width; x++) {
        if (page.dark(x, y)) {
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x + 1);
        }
      }
    }
    // 2.5 s x 25 mm/s = 62.5 mm; the pen adds half its width (0.25 mm) at each end.
    expect(maxX - minX).toBeGreaterThanOrEqual(62.5 * pxPerMm - 1);
    expect(maxX - minX).toBeLessThanOrEqual((62.5 + 0.25) * pxPerMm + 2);
    expect(page.sidecar.pxPerS * page.sidecar.layout.columnDurationS).toBeCloseTo(62.5 * pxPerMm, 6);
  });

  it('puts known samples of PTB-XL 00001 at the pixel the sidecar predicts', () => {
    const page = pagePixels(ptbxl, { ...bare, hiddenLeads: onlyLeads(['I', 'II']) });
    const { pxPerS, pxPerMv } = page.sidecar;
    // Data README: lead I starts at -119 adu = -0.119 mV; lead II peaks at 0.435 mV.
    const leadI = page.sidecar.leadBoxes.find((b) => b.lead === 'I' && b.kind === 'panel')!;
    const startX = Math.floor(leadI.originXPx + 1);
    const startY = leadI.baselineYPx + 0.119 * pxPerMv;
    expect(page.dark(startX, Math.floor(startY))).toBe(true);
    const rhythm = page.sidecar.leadBoxes.find((b) => b.kind === 'rhythm')!;
    const leadII = leadSignal(ptbxl, 'II');
    const peak = leadII.indexOf(Math.max(...leadII));
    expect(leadII[peak]).toBeCloseTo(0.435, 6);
    const peakX = Math.floor(rhythm.originXPx + (peak / ptbxl.samplingRateHz) * pxPerS);
    const peakY = rhythm.baselineYPx - 0.435 * pxPerMv;
    let topInk = -1;
    for (let y = Math.floor(rhythm.cell.y0); y < rhythm.cell.y1; y++) {
      if (page.dark(peakX, y)) {
        topInk = y;
        break;
      }
    }
    expect(Math.abs(topInk + 0.5 - peakY)).toBeLessThanOrEqual(2.5);
  });

  it('places a spike at the same pixel whatever the sampling rate (time is never distorted)', () => {
    const spike = (t: number) => (Math.abs(t - 1.3) < 0.006 ? 2 : 0);
    const xs = [100, 250, 500, 1000].map((samplingRateHz) => {
      const recording = syntheticRecording({ samplingRateHz, shape: spike });
      const page = pagePixels(recording, { ...bare, hiddenLeads: onlyLeads(['I']) });
      const box = page.sidecar.leadBoxes.find((b) => b.lead === 'I')!;
      // Spike top: 2 mV above baseline; find its column.
      const y = Math.round(box.baselineYPx - 1.5 * page.sidecar.pxPerMv);
      const inked: number[] = [];
      for (let x = 0; x < page.width; x++) if (page.dark(x, y)) inked.push(x);
      const expected = box.originXPx + 1.3 * page.sidecar.pxPerS;
      return { mean: inked.reduce((a, b) => a + b, 0) / inked.length + 0.5, expected };
    });
    for (const { mean, expected } of xs) expect(Math.abs(mean - expected)).toBeLessThan(2);
  });

  it('lets a large negative deflection overflow into the next row and boxes it by its true extent', () => {
    const dip = (t: number) => (Math.abs(t - 0.5) < 0.05 ? -3 : 0);
    const recording = syntheticRecording({ samplingRateHz: 500, shape: dip });
    const page = pagePixels(recording, { ...bare, hiddenLeads: onlyLeads(['I']) });
    const box = page.sidecar.leadBoxes.find((b) => b.lead === 'I')!;
    // -3 mV at 10 mm/mV = 30 mm below the baseline, past the cell's lower edge.
    expect(box.ink!.y1).toBeGreaterThan(box.baselineYPx + 30 * page.sidecar.pxPerMm - 1);
    expect(box.ink!.y1).toBeGreaterThan(box.cell.y1);
    expect(page.dark(Math.floor(box.originXPx + 0.5 * page.sidecar.pxPerS), Math.floor(box.baselineYPx + 3 * page.sidecar.pxPerMv))).toBe(true);
  });
});

describe('sidecar boxes', () => {
  function expectInkInside(page: ReturnType<typeof pagePixels>, boxes: LeadBox[]) {
    let inked = 0;
    for (let y = 0; y < page.height; y++) {
      for (let x = 0; x < page.width; x++) {
        if (page.value(x, y) >= 250) continue;
        inked++;
        const inside = boxes.some((b) => b.ink && x >= b.ink.x0 && x < b.ink.x1 && y >= b.ink.y0 && y < b.ink.y1);
        if (!inside) throw new Error(`ink at (${x}, ${y}) outside ${boxes.map((b) => b.label).join(', ')}`);
      }
    }
    expect(inked).toBeGreaterThan(100);
  }

  for (const { layout, lead } of [
    { layout: 'standard', lead: 'II' },
    { layout: 'standard', lead: 'V2' },
    { layout: 'cabrera', lead: 'aVR' },
    { layout: '6x2', lead: 'V6' },
  ] as const) {
    it(`contain all of ${lead}'s ink in the ${layout} layout`, () => {
      const page = pagePixels(ptbxl, { ...bare, layout, dpi: 100, hiddenLeads: onlyLeads([lead]) });
      expectInkInside(page, page.sidecar.leadBoxes.filter((b) => b.lead === lead));
    });
  }

  it('labels the rhythm strip with its own lead and the Cabrera -aVR as inverted', () => {
    const standard = renderPage(ptbxl, { dpi: 50 }).sidecar;
    const rhythm = standard.leadBoxes.filter((b) => b.kind === 'rhythm');
    expect(rhythm).toHaveLength(1);
    expect(rhythm[0]).toMatchObject({ lead: 'II', label: 'II', startS: 0, endS: 10, row: 3 });
    expect(standard.leadBoxes.filter((b) => b.kind === 'panel').map((b) => b.label)).toEqual(
      ['I', 'aVR', 'V1', 'V4', 'II', 'aVL', 'V2', 'V5', 'III', 'aVF', 'V3', 'V6'],
    );
    const cabrera = renderPage(ptbxl, { dpi: 50, layout: 'cabrera', rhythmLead: 'V1' }).sidecar;
    expect(cabrera.leadBoxes.filter((b) => b.column === 0 && b.kind === 'panel').map((b) => b.label)).toEqual(['aVL', 'I', '-aVR']);
    expect(cabrera.leadBoxes.find((b) => b.label === '-aVR')!.inverted).toBe(true);
    expect(cabrera.leadBoxes.find((b) => b.kind === 'rhythm')).toMatchObject({ lead: 'V1', label: 'V1' });
    expect(cabrera.leadBoxes.every((b) => b.cellNorm.x0 >= 0 && b.cellNorm.x1 <= 1)).toBe(true);
  });
});

describe('canvas renderer', () => {
  it('draws the traces where the typed-array renderer draws them', () => {
    // Two independent drawing paths (Skia strokes, our column rasteriser) must agree on every column.
    const options: RenderOptions = { ...bare, dpi: 100, hiddenLeads: onlyLeads(['II', 'V2']) };
    const raster = pagePixels(ptbxl, options);
    const canvas = canvasPixels(ptbxl, options);
    expect(canvas.sidecar.leadBoxes).toEqual(raster.sidecar.leadBoxes);
    let compared = 0;
    const differences: number[] = [];
    for (const box of raster.sidecar.leadBoxes.filter((b) => b.ink)) {
      // Within each box's own row band, so a column crossing two rows compares like with like.
      const y0 = Math.floor(box.cell.y0);
      const y1 = Math.ceil(box.cell.y1);
      for (let x = box.ink!.x0; x < box.ink!.x1; x++) {
        const meanY = (dark: (y: number) => boolean) => {
          let sum = 0;
          let n = 0;
          for (let y = y0; y < y1; y++) {
            if (!dark(y)) continue;
            sum += y;
            n++;
          }
          return n ? sum / n : null;
        };
        const a = meanY((y) => raster.dark(x, y));
        const b = meanY((y) => canvas.rgba[4 * (y * canvas.width + x)] < 160);
        if (a === null || b === null) continue;
        compared++;
        differences.push(Math.abs(a - b));
        // Steep QRS strokes differ most (Skia strokes perpendicular to the line, we per column).
        expect(Math.abs(a - b), `${box.label} column ${x}`).toBeLessThan(3);
      }
    }
    expect(compared).toBeGreaterThan(400);
    differences.sort((p, q) => p - q);
    expect(differences[Math.floor(0.95 * differences.length)]).toBeLessThan(1);
  });
});

describe('paper', () => {
  it('has no grid-coloured pixel on a grid-free page and many on a red one', async () => {
    // Decoded from the PNG as RGBA, so a gray PNG cannot hide colour by construction.
    const chroma = async (png: Buffer) => {
      const image = await loadImage(png);
      const canvas = createCanvas(image.width, image.height);
      canvas.getContext('2d').drawImage(image, 0, 0);
      const rgba = canvas.getContext('2d').getImageData(0, 0, image.width, image.height).data;
      let coloured = 0;
      for (let i = 0; i < rgba.length; i += 4) if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) coloured++;
      return { coloured, pixels: rgba.length / 4 };
    };
    expect((await chroma(renderPage(ptbxl, { gridStyle: 'none', dpi: 100 }).png)).coloured).toBe(0);
    const red = await chroma(renderPage(ptbxl, { gridStyle: 'red', dpi: 100 }).png);
    expect(red.coloured).toBeGreaterThan(0.05 * red.pixels);
  });

  it('prints labels and the header in the bundled font', () => {
    expect(GlobalFonts.has(LABEL_FONT_FAMILY)).toBe(true);
    const withText = pagePixels(ptbxl, { ...bare, showLabels: true, showHeader: true, hiddenLeads: [...LEAD_NAMES] });
    const without = pagePixels(ptbxl, { ...bare, showHeader: true, hiddenLeads: [...LEAD_NAMES] });
    const box = withText.sidecar.leadBoxes[0];
    const inkIn = (page: typeof withText, x0: number, y0: number, x1: number, y1: number) => {
      let n = 0;
      for (let y = Math.floor(y0); y < y1; y++) for (let x = Math.floor(x0); x < x1; x++) if (page.dark(x, y)) n++;
      return n;
    };
    // The label "I" sits 1 mm right of the column start, its baseline 7 mm above the trace baseline.
    const pxPerMm = withText.sidecar.pxPerMm;
    const area = [box.originXPx, box.baselineYPx - 12 * pxPerMm, box.originXPx + 5 * pxPerMm, box.baselineYPx - 6 * pxPerMm] as const;
    expect(inkIn(withText, ...area)).toBeGreaterThan(30);
    expect(inkIn(without, ...area)).toBe(0);
    // Header: text above the grid in the top band.
    expect(inkIn(without, 0, 0, without.width, withText.sidecar.layout.contentPx.y0 - 5 * pxPerMm)).toBeGreaterThan(200);
  });

  it('encodes the same pixels into the PNG and the same bytes every time', async () => {
    const options: RenderOptions = { dpi: 72, gridStyle: 'blue' };
    const first = renderPage(ptbxl, options);
    const second = renderPage(ptbxl, options);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(first.png)).toBe(sha(second.png));
    const image = await loadImage(first.png);
    expect([image.width, image.height]).toEqual([first.sidecar.widthPx, first.sidecar.heightPx]);
    const canvas = createCanvas(image.width, image.height);
    canvas.getContext('2d').drawImage(image, 0, 0);
    const decoded = canvas.getContext('2d').getImageData(0, 0, image.width, image.height).data;
    const drawn = pagePixels(ptbxl, options);
    expect(drawn.channels).toBe(3);
    let differing = 0;
    for (let p = 0; p < image.width * image.height; p++) {
      for (let c = 0; c < 3; c++) if (decoded[4 * p + c] !== drawn.data[3 * p + c]) differing++;
    }
    expect(differing).toBe(0);
  });

  it('declares its DPI in a pHYs chunk, so that a print at actual size is 25 mm/s', () => {
    for (const dpi of [72, 200, 300]) {
      const { png } = renderPage(ptbxl, { dpi });
      // Parsed by hand, independently of readPngDpi: the chunk right after IHDR (8 + 25 bytes in).
      expect(png.toString('latin1', 33 + 4, 33 + 8)).toBe('pHYs');
      const pixelsPerMetre = png.readUInt32BE(33 + 8);
      expect(png.readUInt32BE(33 + 12)).toBe(pixelsPerMetre);
      expect(png[33 + 16]).toBe(1);
      expect(pixelsPerMetre).toBe(Math.round(dpi / 0.0254));
      expect(readPngDpi(png)?.x).toBeCloseTo(dpi, 1);
    }
    const plain = encodePng({ widthPx: 1, heightPx: 1, channels: 1, data: new Uint8Array([0]) });
    expect(readPngDpi(plain)).toBeNull();
    expect(readPngDpi(withPngDpi(plain, 150))?.y).toBeCloseTo(150, 1);
  });

  it('sizes letter and A4 pages from the DPI', () => {
    expect(renderPage(ptbxl, { dpi: 100 }).sidecar).toMatchObject({ widthPx: 1100, heightPx: 850 });
    // A4 landscape 297 x 210 mm at 100 dpi: 1169.3 x 826.8 px.
    expect(renderPage(ptbxl, { dpi: 100, paper: 'a4' }).sidecar).toMatchObject({ widthPx: 1169, heightPx: 827 });
  });

  it('rejects options outside what paper supports, naming the option', () => {
    expect(() => renderPage(ptbxl, { dpi: 5 })).toThrow(RenderOptionsError);
    expect(() => renderPage(ptbxl, { gainMmPerMv: 7 as never })).toThrow(/gainMmPerMv.*5, 10, 20/);
  });
});
