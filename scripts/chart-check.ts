/**
 * `npm run chart:check`: validates deploy/helm/federa without a cluster.
 *   1. helm lint --strict, once per example release (values.schema.json is enforced by helm)
 *   2. helm template of every example release into .data/chart/<example>/<release>.yaml
 *   3. k8s-validate (tools/k8s-validate) of everything rendered: strict decoding into k8s.io/api types
 *   4. values the schema or the templates must refuse are refused
 *   5. the Dockerfile and .dockerignore (scripts/dockerfile-check.ts)
 * Example releases: every deploy/helm/examples/<example>/<release>.yaml other than common.yaml,
 * rendered with `-f common.yaml -f <release>.yaml`. Prints one JSON line; exits 1 on any failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureChartTools } from './chart-tools';
import { checkDockerfile } from './dockerfile-check';
import { ROOT } from './paths';

export const CHART = join(ROOT, 'deploy', 'helm', 'federa');
export const EXAMPLES = join(ROOT, 'deploy', 'helm', 'examples');
export const RENDERED = join(ROOT, '.data', 'chart');
const NAMESPACE = 'federa';
/** the Kubernetes version rendered for: the one k8s-validate's k8s.io/api (v0.37) describes */
export const KUBE_VERSION = '1.37.0';

export interface ExampleRelease {
  readonly example: string;
  readonly release: string;
  readonly valueFiles: string[];
  /** where helm template's output is written */
  readonly rendered: string;
}

export function exampleReleases(): ExampleRelease[] {
  const out: ExampleRelease[] = [];
  for (const example of readdirSync(EXAMPLES).sort()) {
    const dir = join(EXAMPLES, example);
    const common = join(dir, 'common.yaml');
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith('.yaml') || f === 'common.yaml') continue;
      const release = f.slice(0, -'.yaml'.length);
      out.push({
        example,
        release,
        valueFiles: [...(existsSync(common) ? [common] : []), join(dir, f)],
        rendered: join(RENDERED, example, `${release}.yaml`),
      });
    }
  }
  return out;
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error?.message ?? '') };
}

const valuesArgs = (r: ExampleRelease) => r.valueFiles.flatMap((f) => ['-f', f]);

/** values that must not render: [what, extra helm args, text the error must contain] */
const MUST_REFUSE: Array<[string, string[], string]> = [
  ['a misspelt key', ['--set', 'api.replicsa=3'], 'additional properties'],
  ['production without mTLS to Temporal', ['--set', 'temporal.tls.enabled=false'], 'temporal'],
  ["production on Temporal's default namespace", ['--set', 'temporal.namespace=default'], 'namespace'],
  ['a site agent without its jurisdiction key', ['--set', 'payloadKeySecrets=null'], 'payload key'],
  ['a site without an endpoint', ['--set', 'siteAgents[0].endpoint=null'], 'endpoint'],
  [
    "the API given the clearing key's Secret",
    [
      '--set',
      'api.exchangeKeySecret=federa-clearing-key',
      '--set',
      'controlWorkers.settlement.clearingKeySecret=federa-clearing-key',
    ],
    'must never hold the clearing key',
  ],
];

export interface ChartCheckReport {
  ok: boolean;
  helm: string;
  installedSeconds: Record<string, number>;
  lint: Array<{ release: string; ok: boolean; output?: string }>;
  releases: Array<{ example: string; release: string; rendered: string; ok: boolean; error?: string }>;
  validation: {
    ok: boolean;
    objects?: number;
    byKind?: Record<string, number>;
    errors?: string[];
    output?: string;
  };
  refused: Array<{ case: string; ok: boolean; output?: string }>;
  dockerfile: { stages: number; problems: string[] };
  seconds: number;
}

export function chartCheck(): ChartCheckReport {
  const started = performance.now();
  const tools = ensureChartTools();
  const releases = exampleReleases();
  const version = run(tools.helm, ['version', '--short']).stdout.trim();

  const lint = releases.map((r) => {
    const res = run(tools.helm, [
      'lint',
      '--strict',
      '--kube-version',
      KUBE_VERSION,
      CHART,
      ...valuesArgs(r),
    ]);
    return {
      release: `${r.example}/${r.release}`,
      ok: res.ok,
      ...(res.ok ? {} : { output: res.stdout + res.stderr }),
    };
  });

  const rendered = releases.map((r) => {
    const res = run(tools.helm, [
      'template',
      'federa',
      CHART,
      '--namespace',
      NAMESPACE,
      '--kube-version',
      KUBE_VERSION,
      ...valuesArgs(r),
    ]);
    mkdirSync(join(RENDERED, r.example), { recursive: true });
    if (res.ok) writeFileSync(r.rendered, res.stdout);
    return {
      example: r.example,
      release: r.release,
      rendered: relative(ROOT, r.rendered),
      ok: res.ok,
      ...(res.ok ? {} : { error: res.stderr.trim() }),
    };
  });

  const files = releases.filter((_, i) => rendered[i]!.ok).map((r) => r.rendered);
  const v =
    files.length > 0 ? run(tools.validate, files) : { ok: false, stdout: '', stderr: 'nothing rendered' };
  let validation: ChartCheckReport['validation'];
  try {
    const parsed = JSON.parse(v.stdout) as {
      objects: number;
      byKind: Record<string, number>;
      errors: string[];
    };
    validation = { ok: v.ok, objects: parsed.objects, byKind: parsed.byKind, errors: parsed.errors };
  } catch {
    validation = { ok: false, output: v.stdout + v.stderr };
  }

  const base = releases.find((r) => r.example === 'eu-operator') ?? releases[0]!;
  const refused = MUST_REFUSE.map(([what, args, expect]) => {
    const res = run(tools.helm, [
      'template',
      'federa',
      CHART,
      '--kube-version',
      KUBE_VERSION,
      ...valuesArgs(base),
      ...args,
    ]);
    const ok = !res.ok && res.stderr.toLowerCase().includes(expect.toLowerCase());
    return {
      case: what,
      ok,
      ...(ok ? {} : { output: (res.stderr || 'rendered without error').slice(0, 2000) }),
    };
  });

  const dockerfile = checkDockerfile(ROOT);
  const ok =
    lint.every((l) => l.ok) &&
    rendered.every((r) => r.ok) &&
    validation.ok &&
    refused.every((r) => r.ok) &&
    dockerfile.problems.length === 0;
  return {
    ok,
    helm: version,
    installedSeconds: tools.installed,
    lint,
    releases: rendered,
    validation,
    refused,
    dockerfile,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = chartCheck();
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}
