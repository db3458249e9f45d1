/**
 * The Federa Grafana dashboard, as typed data: deploy/observability/grafana/federa.json is this
 * object, written by scripts/observability/build-dashboard.ts (a test checks they are the same).
 */
import type { Dashboard } from '@grafana/schema';
import { ledger } from './ledger';
import { overview } from './overview';
import { layout } from './panels';
import { routing } from './routing';
import { settlement } from './settlement';
import { temporal } from './temporal';

export function federaDashboard(): Dashboard {
  return {
    uid: 'federa',
    title: 'Federa',
    description:
      'Federa control plane: requests and SLO, ledger, routing and sites, settlement, processes and Redis, Temporal SDK workers. Metrics: docs/observability.md.',
    tags: ['federa'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timezone: 'utc',
    fiscalYearStartMonth: 0,
    links: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          refresh: 1,
          hide: 0,
          includeAll: false,
          multi: false,
        },
        {
          name: 'site',
          label: 'Site',
          type: 'query',
          datasource: { type: 'prometheus', uid: '${datasource}' },
          query: { query: 'label_values(federa_site_circuit_state, site)', refId: 'sites' },
          refresh: 2,
          sort: 1,
          hide: 0,
          includeAll: true,
          allValue: '.*',
          multi: true,
          current: { text: ['All'], value: ['$__all'] },
        },
      ],
    },
    panels: layout([...overview, ...ledger, ...routing, ...settlement, ...temporal]),
  };
}
