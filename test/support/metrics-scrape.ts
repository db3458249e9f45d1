/**
 * Scrapes a /metrics endpoint over HTTP and parses it with a real exposition-format parser
 * (parse-prometheus-text-format). That parser folds a labelled histogram's series into one and drops
 * their _sum and _count, so histogram families are parsed as their plain samples (x_bucket, x_sum,
 * x_count, each with its labels), which is what a PromQL query sees anyway.
 */
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';

export interface Scrape {
  readonly families: readonly PrometheusFamily[];
  /** names of the families (histograms by their base name too) */
  readonly names: ReadonlySet<string>;
  /** the sum of the samples of `name` whose labels include `labels` (0 when there are none) */
  value(name: string, labels?: Record<string, string>): number;
  /** the samples of `name` whose labels include `labels` */
  samples(name: string, labels?: Record<string, string>): { labels: Record<string, string>; value: number }[];
}

export function parseScrape(text: string): Scrape {
  const histograms = new Set([...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]!));
  const plain = text
    .split('\n')
    .filter((line) => {
      const m = /^# (?:TYPE|HELP) (\S+) /.exec(line);
      return !m || !histograms.has(m[1]!);
    })
    .join('\n');
  const families = parsePrometheusTextFormat(plain);
  const samples = (name: string, labels: Record<string, string> = {}) =>
    families
      // a histogram's series interleave (x_bucket…, x_sum, x_count per label set): the parser
      // starts a new untyped family at each change of name, so a name may come back
      .filter((f) => f.name === name)
      .flatMap((f) => f.metrics)
      .map((s) => ({ labels: s.labels ?? {}, value: Number(s.value) }))
      .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    families,
    names: new Set([...families.map((f) => f.name), ...histograms]),
    samples,
    value: (name, labels) => samples(name, labels).reduce((n, s) => n + s.value, 0),
  };
}

export async function scrape(url: string, token?: string): Promise<Scrape> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (res.status !== 200) throw new Error(`scrape of ${url} answered ${res.status}`);
  return parseScrape(await res.text());
}
