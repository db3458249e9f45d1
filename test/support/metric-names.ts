/**
 * Which metric names a PromQL expression reads, and whether each exists: Federa's families (and
 * Node's default ones) from the telemetry catalogue's registry, recording rules from
 * deploy/observability/prometheus/federa-rules.yml, Temporal's from the SDK core's sources.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Registry } from 'prom-client';
import { createProcessRegistry } from '@federa/telemetry';
// the catalogue module itself, not the package index: every function it exports is a concern, and
// a concern added later is checked without this file knowing its name
import * as catalogue from '../../packages/telemetry/src/metrics/catalogue';

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names an expression selects. PromQL has no JS parser here, so this strips what is not
 * a selector — strings, label matchers, ranges, `by (…)`-style label lists — and keeps the
 * identifiers that are not calls or keywords. promtool has already parsed the expression.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/(?<![\w.:$])[a-zA-Z_:][\w:]*/g)) {
    const rest = bare.slice(match.index + match[0].length).trimStart();
    if (rest.startsWith('(') || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary';

/** every family a Federa process can export: the process registry plus every concern of the catalogue */
export async function federaFamilies(): Promise<Map<string, FamilyType>> {
  const registry = createProcessRegistry('worker');
  const concerns = Object.values(catalogue).filter((value) => typeof value === 'function');
  for (const concern of concerns) (concern as (registry: Registry) => unknown)(registry);
  const families = await registry.getMetricsAsJSON();
  // prom-client types `type` as a numeric enum; at run time it is the exposition type's name
  return new Map(families.map((f) => [f.name, String(f.type) as FamilyType]));
}

/** a series name belongs to a family: itself, or a histogram's/summary's _bucket, _sum, _count */
export function familyHas(families: ReadonlyMap<string, FamilyType>, series: string): boolean {
  const type = families.get(series);
  if (type) return type !== 'histogram' && type !== 'summary';
  const suffix = /_(bucket|sum|count)$/.exec(series);
  if (!suffix) return false;
  const base = families.get(series.slice(0, suffix.index));
  return base === 'histogram' || (base === 'summary' && suffix[1] !== 'bucket');
}

/**
 * The SDK core's metric names (the bridge prefixes them with temporal_; counters get _total,
 * histograms _bucket/_sum/_count), read from the Rust sources @temporalio/core-bridge ships.
 */
export function temporalCoreHas(series: string): boolean {
  const bridge = dirname(createRequire(import.meta.url).resolve('@temporalio/core-bridge/package.json'));
  const sources = [
    'sdk-core/crates/sdk-core/src/telemetry/metrics.rs',
    'sdk-core/crates/common/src/telemetry/metrics.rs',
    'sdk-core/crates/client/src/metrics.rs',
  ]
    .map((file) => readFileSync(join(bridge, file), 'utf8'))
    .join('\n');
  const core = series.replace(/^temporal_/, '').replace(/_(bucket|sum|count|total)$/, '');
  return sources.includes(`"${core}"`);
}
