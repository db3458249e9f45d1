/**
 * The Grafana dashboard deploy/observability/grafana/federa.json: it is the typed model built by
 * scripts/observability/dashboard (typed with @grafana/schema), it holds together as a Grafana
 * dashboard (ids, grid, datasource variable, queries), promtool parses every PromQL expression in
 * it, and every metric it reads exists.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dashboard, Panel, RowPanel } from '@grafana/schema';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { federaDashboard } from '../../scripts/observability/dashboard/federa-dashboard';
import { familyHas, federaFamilies, metricNames, temporalCoreHas } from '../support/metric-names';
import { OBSERVABILITY_DIR, promtool, readRules } from '../support/promtool';

const model = JSON.parse(readFileSync(join(OBSERVABILITY_DIR, 'grafana/federa.json'), 'utf8')) as Dashboard;

/** every panel, rows' nested panels included */
const panels: Array<Panel | RowPanel> = (model.panels ?? []).flatMap((p) =>
  p.type === 'row' ? [p, ...(p as RowPanel).panels] : [p],
);
const queryPanels = panels.filter((p): p is Panel => p.type !== 'row');

interface Target {
  refId: string;
  expr: string;
  datasource?: { type?: string; uid?: string };
}
const targetsOf = (p: Panel) => (p.targets ?? []) as unknown as Target[];

/** Grafana's own variables become what Prometheus would receive */
const asPromQL = (expr: string) =>
  expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?site\}?/g, '.*');

describe('Grafana dashboard (deploy/observability/grafana/federa.json)', () => {
  it('is the typed dashboard model, as built by scripts/observability/build-dashboard.ts', () => {
    expect(model).toEqual(federaDashboard());
  });

  it('holds together as a Grafana dashboard: ids, grid, datasource variable, queries', () => {
    expect(model.uid).toBe('federa');
    expect(model.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);

    const boxes = panels.map((p) => p.gridPos!);
    for (const box of boxes) {
      expect(box.w).toBeGreaterThan(0);
      expect(box.h).toBeGreaterThan(0);
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.w).toBeLessThanOrEqual(24);
    }
    const overlapping = boxes.flatMap((a, i) =>
      boxes
        .slice(i + 1)
        .filter((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
        .map((b) => `${JSON.stringify(a)} × ${JSON.stringify(b)}`),
    );
    expect(overlapping).toEqual([]);

    const variables = model.templating?.list ?? [];
    expect(variables).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    const rows = panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(
      expect.arrayContaining([
        'Overview',
        'Ledger',
        'Routing and sites',
        'Settlement',
        'Temporal SDK workers',
      ]),
    );

    expect(queryPanels.length).toBeGreaterThan(20);
    for (const panel of queryPanels) {
      expect(panel.title, `panel ${panel.id}`).toBeTruthy();
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      const targets = targetsOf(panel);
      expect(targets.length, `${panel.title} has queries`).toBeGreaterThan(0);
      expect(new Set(targets.map((t) => t.refId)).size).toBe(targets.length);
      for (const target of targets) {
        expect(target.expr.trim(), `${panel.title} ${target.refId}`).not.toBe('');
        expect(target.datasource?.uid).toBe('${datasource}');
      }
    }
  });

  it('has only PromQL that Prometheus parses (`promtool check rules` on each expression)', () => {
    const rules = queryPanels.flatMap((panel) =>
      targetsOf(panel).map((t) => ({
        record: `dashboard:panel_${panel.id}_${t.refId}`,
        expr: asPromQL(t.expr),
      })),
    );
    const dir = mkdtempSync(join(tmpdir(), 'federa-dashboard-'));
    try {
      const file = join(dir, 'dashboard-queries.yml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const { status, output } = promtool(['check', 'rules', file]);
      expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(status, output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads only metrics that exist: the catalogue, the recording rules, Temporal SDK core, `up`', async () => {
    const families = await federaFamilies();
    const recorded = new Set(
      readRules()
        .groups.flatMap((g) => g.rules)
        .flatMap((r) => (r.record ? [r.record] : [])),
    );
    const variableQueries = (model.templating?.list ?? []).flatMap((v) =>
      typeof v.query === 'object' && typeof v.query.query === 'string'
        ? [v.query.query.replace(/^label_values\(([\w:]+).*$/, '$1')]
        : [],
    );
    const read = new Set([
      ...queryPanels.flatMap((p) => targetsOf(p).flatMap((t) => metricNames(asPromQL(t.expr)))),
      ...variableQueries,
    ]);
    const exists = (name: string) =>
      name === 'up' ||
      (name.includes(':')
        ? recorded.has(name)
        : name.startsWith('temporal_')
          ? temporalCoreHas(name)
          : familyHas(families, name));
    expect([...read].filter((name) => !exists(name))).toEqual([]);
    // it does read each concern's families
    for (const name of [
      'federa_requests_total',
      'federa_ledger_hold_oldest_age_seconds',
      'federa_site_circuit_state',
      'federa_settlement_lag_seconds',
      'federa_redis_memory_used_bytes',
      'temporal_worker_task_slots_available',
      'temporal_long_request_latency_bucket',
      'temporal_sticky_cache_hit_total',
    ])
      expect(read).toContain(name);
  });
});
