/**
 * bench.svg: the latency distributions of a board's benchmark, one panel per
 * group, each measured variant's 101 percentiles drawn as a cumulative
 * distribution (x: µs on a log scale, y: percentile), colour per variant
 * (each panel its own colours and legend, so the few variants of a group
 * get clearly different hues), dash per module when there are two boots. A vega-lite spec (pure),
 * compiled and rendered headless to SVG by vega.
 */
import type { TopLevelSpec } from 'vega-lite';
import { groupInfo, type BenchOutput } from './proto.ts';

/** Values at or below this (µs) are drawn at it: a log scale has no 0. */
export const LOG_FLOOR_US = 0.01;
/** Panel titles are wrapped at this many characters (vega without a canvas estimates text widths generously). */
const TITLE_WRAP = 44;

/** Words of `text` on lines of at most `width` characters (a longer word gets a line of its own). Pure. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of text.split(/\s+/).filter((x) => x !== '')) {
    if (cur !== '' && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else {
      cur = cur === '' ? w : `${cur} ${w}`;
    }
  }
  if (cur !== '') lines.push(cur);
  return lines;
}

/** One point of the plot data. */
export interface PlotPoint {
  /** the panel: "<group>: <title>", wrapped with newlines */
  panel: string;
  /** the colour: the variant's label */
  series: string;
  module: string;
  percentile: number;
  /** µs, at least LOG_FLOOR_US */
  us: number;
}

export interface PlotBoot {
  module: string;
  out: Pick<BenchOutput, 'rows' | 'groups'>;
}

/** The points of every measured row of every boot; `clamped` counts values raised to LOG_FLOOR_US. Pure. */
export function plotPoints(boots: readonly PlotBoot[]): { points: PlotPoint[]; panels: string[]; clamped: number } {
  const points: PlotPoint[] = [];
  const panels: string[] = [];
  let clamped = 0;
  for (const b of boots) {
    for (const r of b.out.rows) {
      if (r.kind !== 'stats') continue;
      const g = groupInfo(b.out, r.group);
      const panel = wrapText(`${g.group}: ${g.title}`, TITLE_WRAP).join('\n');
      if (!panels.includes(panel)) panels.push(panel);
      r.stats.q.forEach((v, percentile) => {
        if (v <= LOG_FLOOR_US) clamped++;
        points.push({ panel, series: r.label, module: b.module, percentile, us: Math.max(v, LOG_FLOOR_US) });
      });
    }
  }
  return { points, panels, clamped };
}

/** The vega-lite spec of bench.svg, undefined when no row has measurements. Pure. */
export function benchPlotSpec(title: string, boots: readonly PlotBoot[]): TopLevelSpec | undefined {
  const { points, panels, clamped } = plotPoints(boots);
  if (points.length === 0) return undefined;
  const twoModules = new Set(points.map((p) => p.module)).size > 1;
  const subtitle = [
    'percentiles 0–100 of each variant (cumulative distribution); x: µs, log scale, own range per panel',
    ...(clamped > 0 ? [`${clamped} value${clamped === 1 ? '' : 's'} ≤ ${LOG_FLOOR_US} µs drawn at ${LOG_FLOOR_US} µs`] : []),
  ];
  return {
    title: { text: title, subtitle, anchor: 'start' },
    data: { values: points },
    facet: {
      field: 'panel',
      type: 'nominal',
      title: null,
      sort: panels,
      header: { labelExpr: "split(datum.value, '\\n')", labelLimit: 460, labelFontSize: 12, labelAnchor: 'start', labelFontWeight: 'bold' },
    },
    columns: 2,
    spec: {
      width: 420,
      height: 220,
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'us', type: 'quantitative', scale: { type: 'log', nice: false }, title: 'latency (µs, log scale)' },
        y: { field: 'percentile', type: 'quantitative', scale: { domain: [0, 100] }, title: 'percentile' },
        color: { field: 'series', type: 'nominal', title: null, scale: { scheme: 'tableau10' }, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 420 } },
        ...(twoModules ? { strokeDash: { field: 'module', type: 'nominal', title: 'module' } } : {}),
        detail: { field: 'module', type: 'nominal' },
        order: { field: 'percentile', type: 'quantitative' },
      },
    },
    resolve: { scale: { x: 'independent', color: 'independent' }, legend: { color: 'independent' } },
    config: { font: 'sans-serif' },
  };
}

/** Compile a vega-lite spec and render it to SVG without a browser (vega's headless view). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // loaded here, not at the top: every orchestrate command would pay their load time (about 0.5 s)
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
