/**
 * The Helm chart (deploy/helm/federa) as `npm run chart:check` validates it — helm lint, helm
 * template of both example federations, strict schema validation of every rendered object, values
 * that must be refused, the Dockerfile — and what the rendered manifests must guarantee: agents
 * reach only their own site (plus Temporal, Redis and DNS, without which the worker cannot run),
 * every container is non-root with a read-only root filesystem, and each site agent mounts only its
 * own jurisdiction's payload key.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTopology } from '@federa/domain';
import { generatePayloadKeys, openWith, sealFor, sealTo, openCompact } from '@federa/sealing';
import { splitPayloadKeys } from '../../scripts/payload-key-secrets';
import { exampleReleases, type ChartCheckReport, type ExampleRelease } from '../../scripts/chart-check';
import { ROOT } from '../../scripts/paths';

type Obj = Record<string, any>;

interface Rendered {
  readonly release: ExampleRelease;
  readonly values: Obj;
  readonly objects: Obj[];
}

function deepMerge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      out[k] &&
      typeof out[k] === 'object' &&
      !Array.isArray(out[k])
        ? deepMerge(out[k], v)
        : v;
  }
  return out;
}

const chartDefaults = parse(readFileSync(join(ROOT, 'deploy/helm/federa/values.yaml'), 'utf8')) as Obj;

let report: ChartCheckReport;
let rendered: Rendered[];

const workloads = (r: Rendered) => r.objects.filter((o) => o.kind === 'Deployment');
const component = (o: Obj) => o.metadata.labels['app.kubernetes.io/component'] as string;
const allPods = () =>
  rendered.flatMap((r) => workloads(r).map((d) => ({ r, d, pod: d.spec.template.spec as Obj })));
const envOf = (container: Obj) =>
  Object.fromEntries((container.env ?? []).map((e: Obj) => [e.name, e.value ?? e.valueFrom])) as Record<
    string,
    unknown
  >;

beforeAll(() => {
  // the first run builds helm and the validator from Go modules (minutes); later runs reuse them
  let out: string;
  try {
    out = execFileSync('npm', ['run', '--silent', 'chart:check'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  } catch (err) {
    out = (err as { stdout?: string }).stdout ?? '';
  }
  report = JSON.parse(out.trim().split('\n').at(-1)!) as ChartCheckReport;
  rendered = exampleReleases().map((release) => ({
    release,
    values: release.valueFiles.reduce(
      (acc, f) => deepMerge(acc, parse(readFileSync(f, 'utf8')) as Obj),
      chartDefaults,
    ),
    objects: parseAllDocuments(readFileSync(release.rendered, 'utf8'))
      .map((d) => d.toJS() as Obj)
      .filter((o) => o && o.kind),
  }));
}, 1_200_000);

describe('Helm chart (npm run chart:check)', () => {
  it('lints, renders both example federations and passes every check', () => {
    expect(report.lint.filter((l) => !l.ok)).toEqual([]);
    expect(report.releases.filter((r) => !r.ok)).toEqual([]);
    expect(new Set(report.releases.map((r) => r.example))).toEqual(new Set(['eu-operator', 'eu-us-jp']));
    expect(report.refused.filter((r) => !r.ok)).toEqual([]);
    expect(report.dockerfile.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('validates every rendered object against its Kubernetes type', () => {
    expect(report.validation.errors).toEqual([]);
    const total = rendered.reduce((n, r) => n + r.objects.length, 0);
    expect(report.validation.objects).toBe(total);
    for (const kind of [
      'Deployment',
      'Service',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'NetworkPolicy',
      'ServiceMonitor',
      'ConfigMap',
    ]) {
      expect(report.validation.byKind?.[kind], kind).toBeGreaterThan(0);
    }
  });

  it('has a validator that refuses what the API server would refuse', () => {
    const validate = join(ROOT, '.tools/helm/bin/k8s-validate');
    const good = readFileSync(rendered[0]!.release.rendered, 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'federa-chart-'));
    const cases: Array<[string, string, string]> = [
      // encoding/json would match this case-insensitively; the API server refuses it
      [
        'case-mismatched field',
        good.replace('readOnlyRootFilesystem: true', 'readOnlyRootFileSystem: true'),
        'unknown field',
      ],
      [
        'unknown field',
        good.replace('automountServiceAccountToken: false', 'automountServiceAccountTokens: false'),
        'unknown field',
      ],
      ['wrong type', good.replace(/maxUnavailable: 1/, 'maxUnavailable: [1]'), 'cannot unmarshal'],
      [
        'unknown kind',
        `${good}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n`,
        'unknown apiVersion/kind',
      ],
    ];
    try {
      for (const [what, text, expected] of cases) {
        expect(text, what).not.toBe(good);
        const file = join(dir, 'bad.yaml');
        writeFileSync(file, text);
        const r = spawnSync(validate, [file], { encoding: 'utf8' });
        expect(r.status, what).toBe(1);
        expect(r.stdout, what).toContain(expected);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seeds the registry from topologies the apps accept', () => {
    for (const r of rendered) {
      const cm = r.objects.find((o) => o.kind === 'ConfigMap' && o.data?.['topology.json']);
      expect(() => parseTopology(JSON.parse(cm!.data['topology.json']))).not.toThrow();
    }
  });

  it('runs one agent Deployment per site, each hosting only its own site', () => {
    for (const r of rendered) {
      const agents = workloads(r).filter((d) => component(d) === 'site-agent');
      expect(agents.map((d) => d.metadata.labels['federa.io/site']).sort()).toEqual(
        (r.values.siteAgents as Obj[]).map((s) => s.id).sort(),
      );
      for (const d of agents) {
        const env = envOf(d.spec.template.spec.containers[0]);
        expect(env.FEDERA_SITE_AGENTS).toBe(d.metadata.labels['federa.io/site']);
        expect(env.FEDERA_SETTLEMENT).toBe('off');
      }
      for (const d of workloads(r).filter((w) => component(w) === 'control-worker')) {
        expect(envOf(d.spec.template.spec.containers[0]).FEDERA_SITE_AGENTS).toBe('none');
      }
    }
    const sites = rendered.flatMap((r) => (r.values.siteAgents as Obj[]).map((s) => s.id));
    expect(sites.sort()).toEqual([
      'pacific-ash',
      'rhein-ber',
      'rhein-ber',
      'rhein-fra',
      'rhein-fra',
      'sakura-tyo',
    ]);
  });

  it("lets each agent reach only its site's endpoint, Temporal, Redis and DNS", () => {
    let checked = 0;
    for (const r of rendered) {
      const v = r.values;
      const sites = v.siteAgents as Obj[];
      const allSiteCidrs = rendered.flatMap((x) =>
        (x.values.siteAgents as Obj[]).flatMap((s) => s.endpoint.cidrs as string[]),
      );
      for (const site of sites) {
        const np = r.objects.find(
          (o) => o.kind === 'NetworkPolicy' && o.metadata.labels['federa.io/site'] === site.id,
        )!;
        expect(np, site.id).toBeDefined();
        expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
        expect(np.spec.podSelector.matchLabels['federa.io/site']).toBe(site.id);
        const temporalPort = v.temporal.network.port as number;
        const redisPorts = v.redis.network.ports as number[];
        const sitePorts = site.endpoint.ports as number[];
        const kinds: string[] = [];
        for (const rule of np.spec.egress as Obj[]) {
          // no rule open to every destination or every port
          expect(rule.to?.length, JSON.stringify(rule)).toBeGreaterThan(0);
          expect(rule.ports?.length, JSON.stringify(rule)).toBeGreaterThan(0);
          const ports = (rule.ports as Obj[]).map((p) => p.port as number);
          const cidrs = (rule.to as Obj[]).flatMap((t) => (t.ipBlock ? [t.ipBlock.cidr as string] : []));
          if (ports.every((p) => p === 53)) {
            kinds.push('dns');
            expect(rule.to).toEqual([
              {
                namespaceSelector: v.networkPolicy.dns.namespaceSelector,
                podSelector: v.networkPolicy.dns.podSelector,
              },
            ]);
          } else if (ports.length === 1 && ports[0] === temporalPort && !sitePorts.includes(temporalPort)) {
            kinds.push('temporal');
            const expected =
              v.temporal.target === 'helm-chart'
                ? v.temporal.network.cidrs
                : v.temporal.network.cidrs.length
                  ? v.temporal.network.cidrs
                  : ['0.0.0.0/0'];
            expect(cidrs.sort()).toEqual([...expected].sort());
          } else if (JSON.stringify(ports) === JSON.stringify(redisPorts)) {
            kinds.push('redis');
            expect(cidrs.sort()).toEqual([...v.redis.network.cidrs].sort());
            const selectors = (rule.to as Obj[]).filter((t) => !t.ipBlock);
            expect(selectors).toEqual(
              v.redis.network.podSelector && Object.keys(v.redis.network.podSelector).length
                ? [
                    {
                      namespaceSelector: v.redis.network.namespaceSelector,
                      podSelector: v.redis.network.podSelector,
                    },
                  ]
                : [],
            );
          } else {
            kinds.push('site');
            expect(ports).toEqual(sitePorts);
            expect(rule.to).toEqual((site.endpoint.cidrs as string[]).map((cidr) => ({ ipBlock: { cidr } })));
          }
          // another site's network never appears
          for (const c of cidrs) {
            if (allSiteCidrs.includes(c))
              expect(site.endpoint.cidrs, `${site.id} may reach ${c}`).toContain(c);
          }
        }
        expect(kinds.sort()).toEqual(['dns', 'redis', 'site', 'temporal']);
        // only the API (and Prometheus on the metrics port) may call the agent
        const ingressPorts = (np.spec.ingress as Obj[]).flatMap((i) => (i.ports as Obj[]).map((p) => p.port));
        expect(ingressPorts.sort()).toEqual([9465, v.siteAgentDefaults.dataPlanePort].sort());
        checked++;
      }
    }
    expect(checked).toBe(6);
  });

  it('runs every container non-root, read-only, without capabilities or a service-account token', () => {
    const pods = allPods();
    expect(pods.length).toBeGreaterThan(0);
    for (const { d, pod } of pods) {
      const where = d.metadata.name;
      expect(pod.securityContext.runAsNonRoot, where).toBe(true);
      expect(pod.securityContext.runAsUser, where).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken, where).toBe(false);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers] as Obj[]) {
        const sc = c.securityContext;
        expect(sc.readOnlyRootFilesystem, `${where}/${c.name}`).toBe(true);
        expect(sc.allowPrivilegeEscalation, `${where}/${c.name}`).toBe(false);
        expect(sc.runAsNonRoot, `${where}/${c.name}`).toBe(true);
        expect(sc.privileged ?? false, `${where}/${c.name}`).toBe(false);
        expect(sc.capabilities.drop, `${where}/${c.name}`).toContain('ALL');
        expect(sc.capabilities.add ?? [], `${where}/${c.name}`).toEqual([]);
        // the only writable path: /tmp, an emptyDir
        const tmp = (c.volumeMounts as Obj[]).find((m) => m.mountPath === '/tmp');
        expect(pod.volumes.find((vol: Obj) => vol.name === tmp?.name)?.emptyDir, where).toBeDefined();
        expect(
          c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory,
          where,
        ).toBeTruthy();
        expect(c.readinessProbe && c.livenessProbe, where).toBeTruthy();
      }
    }
  });

  it("gives each site agent only its own jurisdiction's payload key, and no other process any", () => {
    for (const r of rendered) {
      const keySecrets = r.values.payloadKeySecrets as Record<string, string>;
      const allKeySecrets = new Set(Object.values(keySecrets));
      for (const d of workloads(r)) {
        const pod = d.spec.template.spec;
        const secrets = (pod.volumes as Obj[]).flatMap((vol) =>
          vol.secret ? [vol.secret.secretName as string] : [],
        );
        const jurisdictionKeys = secrets.filter((s) => allKeySecrets.has(s));
        if (component(d) === 'site-agent') {
          const jurisdiction = d.metadata.labels['federa.io/jurisdiction'] as string;
          expect(jurisdictionKeys, d.metadata.name).toEqual([keySecrets[jurisdiction]]);
          const mount = (pod.containers[0].volumeMounts as Obj[]).find((m) => m.name === 'payload-keys');
          expect(envOf(pod.containers[0]).FEDERA_PAYLOAD_KEYS_FILE).toBe(
            `${mount!.mountPath}/payload-keys.json`,
          );
        } else {
          expect(jurisdictionKeys, d.metadata.name).toEqual([]);
        }
      }
    }
  });

  it('gives the clearing key to the control workers only, and the exchange-file key to the API only', () => {
    for (const r of rendered) {
      const clearingSecret = r.values.controlWorkers.settlement.clearingKeySecret as string;
      const exchangeSecret = r.values.api.exchangeKeySecret as string;
      for (const d of workloads(r)) {
        const pod = d.spec.template.spec;
        const secrets = (pod.volumes as Obj[]).flatMap((vol) =>
          vol.secret ? [vol.secret.secretName as string] : [],
        );
        const env = envOf(pod.containers[0]);
        const where = `${r.release.example}/${d.metadata.name}`;
        if (component(d) === 'api') {
          expect(secrets, where).not.toContain(clearingSecret);
          expect(env.FEDERA_CLEARING_KEY_FILE, where).toBeUndefined();
          expect(secrets, where).toContain(exchangeSecret);
          expect(env.FEDERA_EXCHANGE_KEY_FILE, where).toBe('/etc/federa/exchange/exchange-key.json');
        } else {
          expect(secrets, where).not.toContain(exchangeSecret);
          expect(env.FEDERA_EXCHANGE_KEY_FILE, where).toBeUndefined();
          if (component(d) !== 'control-worker') expect(secrets, where).not.toContain(clearingSecret);
        }
      }
    }
  });

  it("splits payload keys into Secrets that hold one jurisdiction's private key each, and still work", async () => {
    const keys = await generatePayloadKeys(['DE', 'US', 'JP']);
    const parts = splitPayloadKeys(keys) as Record<string, Obj>;
    expect(Object.keys(parts).sort()).toEqual(['DE', 'JP', 'US', 'api']);
    const privates = (o: Obj) => JSON.stringify(o).match(/"d":/g)?.length ?? 0;
    expect(privates(parts.api!)).toBe(1); // the API's own key only
    for (const cc of ['DE', 'US', 'JP']) {
      expect(privates(parts[cc]!)).toBe(1);
      expect(Object.keys(parts[cc]!.jurisdictions)).toEqual([cc]);
      // the API seals to cc with its file; the agent of cc opens with its own, and answers to the API
      const sealed = await sealFor('hello', [parts.api!.jurisdictions[cc].publicJwk]);
      expect(await openWith(sealed, parts[cc]!.jurisdictions[cc].privateJwk)).toBe('hello');
      const answer = await sealTo('world', parts[cc]!.api.publicJwk);
      expect(await openCompact(answer, parts.api!.api.privateJwk)).toBe('world');
    }
  });

  it('probes the API on /health and scrapes /metrics with the bearer token', () => {
    for (const r of rendered) {
      const api = workloads(r).find((d) => component(d) === 'api');
      if (api) {
        const c = api.spec.template.spec.containers[0];
        expect(c.readinessProbe.httpGet.path).toBe('/health');
        expect(c.livenessProbe.httpGet.path).toBe('/health');
      }
      const monitors = r.objects.filter((o) => o.kind === 'ServiceMonitor');
      expect(monitors.length).toBeGreaterThan(0);
      for (const m of monitors) {
        const ep = m.spec.endpoints[0];
        expect(ep.authorization.credentials).toEqual({
          name: r.values.metrics.tokenSecret,
          key: r.values.metrics.tokenKey,
        });
        const job = ep.relabelings.find((x: Obj) => x.targetLabel === 'job').replacement;
        expect(job).toBe(
          m.metadata.labels['app.kubernetes.io/component'] === 'api' ? 'federa-api' : 'federa-worker',
        );
        const svc = r.objects.find(
          (o) =>
            o.kind === 'Service' &&
            JSON.stringify(o.spec.selector) === JSON.stringify(m.spec.selector.matchLabels),
        );
        expect(svc?.spec.ports.find((p: Obj) => p.name === ep.port)?.port).toBe(
          job === 'federa-api' ? 9464 : 9465,
        );
      }
    }
  });

  it('sets only environment variables the apps read', () => {
    const sources = [
      'apps/api/src/config.ts',
      'apps/worker/src/config.ts',
      'packages/domain/src/env.ts',
      'packages/domain/src/temporal-env.ts',
      'packages/telemetry/src/config.ts',
    ]
      .map((f) => readFileSync(join(ROOT, f), 'utf8'))
      .join('\n');
    const names = new Set(
      allPods().flatMap(({ pod }) =>
        (pod.containers as Obj[]).flatMap((c) => (c.env ?? []).map((e: Obj) => e.name as string)),
      ),
    );
    // POD_IP only feeds FEDERA_AGENT_HOST through $(POD_IP)
    const unread = [...names].filter((n) => n !== 'POD_IP' && !new RegExp(`\\b${n}\\s*:`).test(sources));
    expect(unread).toEqual([]);
  });
});
