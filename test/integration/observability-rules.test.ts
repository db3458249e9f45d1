/**
 * The Prometheus rules in deploy/observability/prometheus/: promtool accepts them, every alert's
 * unit tests pass (and every alert has a case where it fires and one where it does not), the
 * example scrape config loads them, and every metric they read exists.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isErrorCode } from '@federa/domain';
import { familyHas, federaFamilies, metricNames } from '../support/metric-names';
import { OBSERVABILITY_DIR, RULES_FILE, promtool, readRules } from '../support/promtool';

const PROMETHEUS_DIR = join(OBSERVABILITY_DIR, 'prometheus');
/** minute-by-minute cases, and the burn-rate cases over hours and days (evaluated every 4 min) */
const TEST_FILES = ['federa-rules.test.yml', 'federa-rules-long.test.yml'];

interface RuleTests {
  tests: Array<{ name: string; alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
}

describe('Prometheus rules (deploy/observability/prometheus)', () => {
  it('pass `promtool check rules`', () => {
    const { status, output } = promtool(['check', 'rules', RULES_FILE]);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('pass their promtool unit tests (`promtool test rules`)', () => {
    const { status, output } = promtool(['test', 'rules', ...TEST_FILES], PROMETHEUS_DIR);
    expect(status, output).toBe(0);
    expect(output.match(/SUCCESS/g), output).toHaveLength(TEST_FILES.length);
  });

  it('test every alert both firing and not firing', () => {
    const alerts = readRules().groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    const cases = TEST_FILES.flatMap((file) =>
      (parse(readFileSync(join(PROMETHEUS_DIR, file), 'utf8')) as RuleTests).tests.flatMap(
        (t) => t.alert_rule_test ?? [],
      ),
    );
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert} fires in a test`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert} stays quiet in a test`,
      ).toBe(true);
    }
  });

  it('count the same Federa-fault codes everywhere, all of them real error codes', () => {
    const faultSets = readRules()
      .groups.flatMap((g) => g.rules)
      .flatMap((r) => [...r.expr.matchAll(/code=~"([^"]+)"/g)].map((m) => m[1]!));
    expect(faultSets.length).toBeGreaterThan(0);
    expect(new Set(faultSets).size, 'one list of codes').toBe(1);
    const codes = faultSets[0]!.split('|');
    expect(codes.filter((code) => !isErrorCode(code))).toEqual([]);
    expect(codes).toContain('INTERNAL');
  });

  it('read only metrics that exist (the catalogue, recorded by these rules, or `up`)', async () => {
    const families = await federaFamilies();
    const rules = readRules().groups.flatMap((g) => g.rules);
    const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
    const read = new Set(rules.flatMap((r) => metricNames(r.expr)));
    expect(read).toContain('federa_requests_total');
    const unknown = [...read].filter(
      (name) => name !== 'up' && !recorded.has(name) && !familyHas(families, name),
    );
    expect(unknown).toEqual([]);
  });

  it('are loaded by the example scrape config (`promtool check config`)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'federa-prometheus-'));
    try {
      for (const file of ['prometheus.yml', 'federa-rules.yml'])
        copyFileSync(join(PROMETHEUS_DIR, file), join(dir, file));
      // the bearer token file the config names (FEDERA_METRICS_TOKEN's value)
      writeFileSync(join(dir, 'federa-metrics-token'), 'a-test-token-of-32-characters-xx\n');
      const { status, output } = promtool(['check', 'config', join(dir, 'prometheus.yml')]);
      expect(output).toContain('24 rules found');
      expect(status, output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/observability.md', () => {
  const doc = readFileSync(join(OBSERVABILITY_DIR, '../../docs/observability.md'), 'utf8');

  it('documents every Federa metric family of the catalogue', async () => {
    const federa = [...(await federaFamilies()).keys()].filter((name) => name.startsWith('federa_'));
    expect(federa.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });

  it("has the runbook section each alert's annotation points to", () => {
    const headings = new Set([...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase()));
    const rules = readRules()
      .groups.flatMap((g) => g.rules)
      .filter((r) => r.alert);
    for (const rule of rules) {
      const runbook = rule.annotations?.runbook ?? '';
      expect(runbook, rule.alert).toMatch(/^docs\/observability\.md#/);
      expect(headings, rule.alert).toContain(runbook.split('#')[1]);
      expect(doc, rule.alert).toContain(rule.alert);
    }
  });
});

describe('metricNames (how the rule and dashboard tests find the metrics an expression reads)', () => {
  it('keeps selectors and drops functions, label names, strings, ranges and numbers', () => {
    const expr =
      'histogram_quantile(0.99, sum by (op, le) (rate(federa_ledger_operation_duration_seconds_bucket{op="reserve"}[5m]))) > 1e-3 ' +
      'and on (job) up{job=~"federa-.*"} == 0 or max(federa:request_errors:ratio_rate5m) / 14.4';
    expect(metricNames(expr).sort()).toEqual([
      'federa:request_errors:ratio_rate5m',
      'federa_ledger_operation_duration_seconds_bucket',
      'up',
    ]);
  });
});
