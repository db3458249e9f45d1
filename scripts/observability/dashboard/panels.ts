/**
 * Small builders for the Grafana panels the Federa dashboard uses, typed with @grafana/schema so a
 * field Grafana does not know is a compile error. Every query goes to the dashboard's `datasource`
 * variable; `layout` gives panels their ids and grid positions, so no section counts by hand.
 */
import { MappingType, ThresholdsMode, type DataSourceRef, type Panel, type RowPanel } from '@grafana/schema';

/** every panel and query reads the Prometheus data source picked in the dashboard's variable */
export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  readonly expr: string;
  /** Grafana's legend template, e.g. '{{route}}' */
  readonly legend?: string;
  /** one value per series (tables, stats), not a range */
  readonly instant?: boolean;
}

interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly queries: readonly Query[];
  /** Grafana unit id: 'reqps', 's', 'percentunit', 'bytes', 'short', 'dateTimeAsIso', … */
  readonly unit: string;
  /** grid width out of 24 (default 8) */
  readonly width?: number;
  readonly height?: number;
  /** values that turn a stat or line red, e.g. an alert's threshold */
  readonly redAbove?: number;
  /** value → text, for enumerations such as the circuit state */
  readonly mappings?: Readonly<Record<string, string>>;
}

type Sized = { panel: Panel | RowPanel; width: number; height: number };

function targets(queries: readonly Query[]): Array<Record<string, unknown>> {
  return queries.map((q, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DATASOURCE,
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    range: !q.instant,
    instant: q.instant ?? false,
  }));
}

function fieldConfig(spec: PanelSpec): Panel['fieldConfig'] {
  return {
    defaults: {
      unit: spec.unit,
      ...(spec.redAbove === undefined
        ? {}
        : {
            thresholds: {
              mode: ThresholdsMode.Absolute,
              steps: [
                { color: 'green', value: null },
                { color: 'red', value: spec.redAbove },
              ],
            },
          }),
      ...(spec.mappings
        ? {
            mappings: [
              {
                type: MappingType.ValueToText,
                options: Object.fromEntries(
                  Object.entries(spec.mappings).map(([value, text], index) => [value, { text, index }]),
                ),
              },
            ],
          }
        : {}),
    },
    overrides: [],
  };
}

function panel(type: string, spec: PanelSpec, options: Record<string, unknown>): Sized {
  return {
    panel: {
      type,
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      targets: targets(spec.queries),
      fieldConfig: fieldConfig(spec),
      options,
    },
    width: spec.width ?? 8,
    height: spec.height ?? 8,
  };
}

export const timeseries = (spec: PanelSpec): Sized =>
  panel('timeseries', spec, {
    legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
    tooltip: { mode: 'multi', sort: 'desc' },
  });

export const stat = (spec: PanelSpec): Sized =>
  panel(
    'stat',
    { width: 6, height: 5, ...spec },
    {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'area',
    },
  );

export const table = (spec: PanelSpec): Sized => panel('table', spec, { showHeader: true, cellHeight: 'sm' });

export const barGauge = (spec: PanelSpec): Sized =>
  panel('bargauge', spec, {
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    orientation: 'horizontal',
    displayMode: 'gradient',
  });

export const stateTimeline = (spec: PanelSpec): Sized =>
  panel('state-timeline', spec, { showValue: 'auto', mergeValues: true, rowHeight: 0.9 });

export const row = (title: string): Sized => ({
  panel: { type: 'row', title, collapsed: false, id: 0, panels: [] },
  width: 24,
  height: 1,
});

/** Numbers the panels 1, 2, … and flows them left to right on Grafana's 24-column grid. */
export function layout(sections: readonly Sized[]): Array<Panel | RowPanel> {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return sections.map(({ panel, width, height }, index) => {
    if (x + width > 24 || panel.type === 'row') {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    const placed = { ...panel, id: index + 1, gridPos: { x, y, w: width, h: height } };
    x += width;
    rowHeight = Math.max(rowHeight, height);
    return placed;
  });
}
