import { SERIES_COLOURS } from './ui.tsx';

export interface ChartSeries {
  label: string;
  points: { x: number; y: number }[];
}

export interface LineChartProps {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** Fixed axis ranges (both [0, 1] for ROC, PR and calibration); computed from the data otherwise. */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** A dashed reference line from (0, 0) to (1, 1): chance for ROC, perfect calibration. */
  diagonal?: boolean;
  /** Draw points as markers too (calibration bins, short series). */
  markers?: boolean;
  /** Steps instead of straight segments between points (the PR curve's average precision is a step area). */
  steps?: boolean;
}

const WIDTH = 360;
const HEIGHT = 280;
const MARGIN = { top: 12, right: 12, bottom: 40, left: 52 };

function extent(values: number[], fallback: [number, number]): [number, number] {
  if (values.length === 0) return fallback;
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (low === high) {
    low -= 0.5;
    high += 0.5;
  }
  return [low, high];
}

function ticks([low, high]: [number, number], count = 5): number[] {
  const step = (high - low) / (count - 1);
  return Array.from({ length: count }, (_, i) => low + i * step);
}

function tickLabel(value: number, [low, high]: [number, number]): string {
  const span = Math.abs(high - low);
  return span >= 20 ? value.toFixed(0) : span >= 2 ? value.toFixed(1) : value.toFixed(2);
}

/**
 * A small SVG line chart with axes, a legend and a text alternative: no chart library, nothing
 * loaded from elsewhere. The `figure` is labelled by its title for screen readers.
 */
export function LineChart({ title, xLabel, yLabel, series, xDomain, yDomain, diagonal, markers, steps }: LineChartProps) {
  const xs = xDomain ?? extent(series.flatMap((s) => s.points.map((p) => p.x)), [0, 1]);
  const ys = yDomain ?? extent(series.flatMap((s) => s.points.map((p) => p.y)), [0, 1]);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + ((x - xs[0]) / (xs[1] - xs[0])) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - ((y - ys[0]) / (ys[1] - ys[0])) * plotH;
  const path = (points: { x: number; y: number }[]) =>
    points
      .map((p, i) => {
        const x = sx(p.x).toFixed(1);
        const y = sy(p.y).toFixed(1);
        if (i === 0) return `M${x},${y}`;
        return steps ? `H${x}V${y}` : `L${x},${y}`;
      })
      .join('');
  const summary = series.map((s) => `${s.label}: ${s.points.length} points`).join('; ');
  return (
    <figure className="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-label={`${title}. ${summary || 'no data'}`}>
        <rect x={MARGIN.left} y={MARGIN.top} width={plotW} height={plotH} className="plot-area" />
        {ticks(xs).map((t) => (
          <g key={`x${t}`}>
            <line x1={sx(t)} x2={sx(t)} y1={MARGIN.top} y2={MARGIN.top + plotH} className="grid-line" />
            <text x={sx(t)} y={HEIGHT - MARGIN.bottom + 16} textAnchor="middle" className="tick">
              {tickLabel(t, xs)}
            </text>
          </g>
        ))}
        {ticks(ys).map((t) => (
          <g key={`y${t}`}>
            <line x1={MARGIN.left} x2={MARGIN.left + plotW} y1={sy(t)} y2={sy(t)} className="grid-line" />
            <text x={MARGIN.left - 6} y={sy(t) + 4} textAnchor="end" className="tick">
              {tickLabel(t, ys)}
            </text>
          </g>
        ))}
        <text x={MARGIN.left + plotW / 2} y={HEIGHT - 6} textAnchor="middle" className="axis-label">
          {xLabel}
        </text>
        <text x={14} y={MARGIN.top + plotH / 2} textAnchor="middle" transform={`rotate(-90 14 ${MARGIN.top + plotH / 2})`} className="axis-label">
          {yLabel}
        </text>
        {diagonal && <line x1={sx(0)} y1={sy(0)} x2={sx(1)} y2={sy(1)} className="diagonal" />}
        {series.map((s, i) => (
          <g key={s.label}>
            <path d={path(s.points)} fill="none" stroke={SERIES_COLOURS[i % SERIES_COLOURS.length]} strokeWidth={2} />
            {markers && s.points.map((p, j) => <circle key={j} cx={sx(p.x)} cy={sy(p.y)} r={3} fill={SERIES_COLOURS[i % SERIES_COLOURS.length]} />)}
          </g>
        ))}
      </svg>
      {series.length > 0 && (
        <ul className="legend">
          {series.map((s, i) => (
            <li key={s.label}>
              <span className="swatch" style={{ background: SERIES_COLOURS[i % SERIES_COLOURS.length] }} aria-hidden="true" />
              {s.label}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
