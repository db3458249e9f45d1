/**
 * Runs promtool (Prometheus's rule checker and unit-test runner, installed by
 * scripts/bootstrap.mjs) and parses the Prometheus rule files of deploy/observability/.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { promtoolPath } from '../../scripts/bootstrap.mjs';

export const OBSERVABILITY_DIR = resolve(import.meta.dirname, '../../deploy/observability');
export const RULES_FILE = resolve(OBSERVABILITY_DIR, 'prometheus/federa-rules.yml');

export interface PromtoolResult {
  readonly status: number | null;
  /** stdout and stderr together: promtool says why a rule is bad on either */
  readonly output: string;
}

export function promtool(args: readonly string[], cwd?: string): PromtoolResult {
  const bin = promtoolPath();
  if (!bin)
    throw new Error(
      "promtool is not installed: run `node scripts/bootstrap.mjs` (it installs Debian's prometheus package or builds promtool with go install), or put promtool on PATH",
    );
  const run = spawnSync(bin, args, { cwd, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

export interface RuleFile {
  groups: Array<{
    name: string;
    rules: Array<{
      record?: string;
      alert?: string;
      expr: string;
      for?: string;
      annotations?: Record<string, string>;
    }>;
  }>;
}

export function readRules(path = RULES_FILE): RuleFile {
  return parse(readFileSync(path, 'utf8')) as RuleFile;
}
