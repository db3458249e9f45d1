/**
 * The chart's tooling, built from Go modules into the git-ignored .tools/helm/bin (not part of
 * bootstrap.mjs's default path): `helm` (go install helm.sh/helm/v3/cmd/helm@HELM_VERSION) and
 * `k8s-validate` (tools/k8s-validate: strict decoding of rendered manifests into k8s.io/api types,
 * offline — no JSON schemas to download). Each is built once and rebuilt only when its version
 * (helm) or its sources (the validator) change; builds run one at a time.
 *
 *   npx tsx scripts/chart-tools.ts   → installs what is missing, prints one JSON line with the times
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';

export const HELM_VERSION = 'v3.22.0';
export const CHART_TOOLS_DIR = join(ROOT, '.tools', 'helm');
const BIN = join(CHART_TOOLS_DIR, 'bin');
const STAMP = join(CHART_TOOLS_DIR, 'stamp.json');
const VALIDATOR_SRC = join(ROOT, 'tools', 'k8s-validate');

export interface ChartTools {
  readonly helm: string;
  readonly validate: string;
  /** seconds each tool took to build in this call (absent: already installed) */
  readonly installed: Record<string, number>;
}

function goBinary(): string {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    try {
      execFileSync(candidate, ['version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(
    'the chart tools are built from Go modules: install Go ≥ 1.26 (https://go.dev/dl/) and retry',
  );
}

function validatorHash(): string {
  const h = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) h.update(readFileSync(join(VALIDATOR_SRC, f)));
  return h.digest('hex').slice(0, 16);
}

function readStamp(): Record<string, string> {
  try {
    return JSON.parse(readFileSync(STAMP, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

function timed(say: (m: string) => void, what: string, run: () => void): number {
  say(`building ${what} (Go) into .tools/helm/bin …`);
  const started = performance.now();
  run();
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  say(`${what} built in ${seconds} s`);
  return seconds;
}

export function ensureChartTools(
  say: (m: string) => void = (m) => process.stderr.write(`${m}\n`),
): ChartTools {
  const helm = join(BIN, 'helm');
  const validate = join(BIN, 'k8s-validate');
  const stamp = readStamp();
  const installed: Record<string, number> = {};
  const wantValidator = validatorHash();
  if (
    existsSync(helm) &&
    stamp.helm === HELM_VERSION &&
    existsSync(validate) &&
    stamp.validator === wantValidator
  ) {
    return { helm, validate, installed };
  }
  const go = goBinary();
  mkdirSync(BIN, { recursive: true });
  const env = { ...process.env, GOBIN: BIN, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' };
  if (!existsSync(helm) || stamp.helm !== HELM_VERSION) {
    installed.helm = timed(say, `helm ${HELM_VERSION}`, () =>
      execFileSync(
        go,
        [
          'install',
          '-trimpath',
          '-ldflags',
          `-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
          `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`,
        ],
        { env, stdio: ['ignore', 'inherit', 'inherit'] },
      ),
    );
    writeFileSync(STAMP, JSON.stringify({ ...readStamp(), helm: HELM_VERSION }));
  }
  if (!existsSync(validate) || stamp.validator !== wantValidator) {
    installed['k8s-validate'] = timed(say, 'k8s-validate', () =>
      execFileSync(go, ['build', '-trimpath', '-ldflags', '-s -w', '-o', validate, '.'], {
        cwd: VALIDATOR_SRC,
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
    writeFileSync(STAMP, JSON.stringify({ ...readStamp(), validator: wantValidator }));
  }
  return { helm, validate, installed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tools = ensureChartTools();
  process.stdout.write(
    `${JSON.stringify({ helm: tools.helm, validate: tools.validate, installedSeconds: tools.installed })}\n`,
  );
}
