/**
 * `npm run stack:prod` — the production-like stack in the foreground (Ctrl-C stops all of it), and
 * `npm run stack:prod -- down` to clear what a killed run left behind (processes by pid file, the
 * sites' network namespaces). See docs/stack.md.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeSiteNetwork } from './netns';
import { NAMESPACE_PREFIX, PORTS, STACK_DIR, STACK_SITES } from './layout';
import { ProductionLikeStack } from './stack';

const RUNNING_FILE = join(STACK_DIR, 'running.json');
const command = process.argv[2] ?? 'up';

async function up(): Promise<void> {
  let stopping = false;
  const stack = new ProductionLikeStack({
    echo: process.env.FEDERA_STACK_ECHO === '1',
    logLevel: 'warn',
    log: (line) => console.log(`[stack] ${line}`),
    onUnexpectedExit: (name, code) => console.error(`[stack] ${name} exited (${code}); the stack goes on`),
  });
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the stack…');
    await stack.stop();
    rmSync(RUNNING_FILE, { force: true });
    console.log('stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  try {
    await stack.start();
  } catch (err) {
    console.error(`the stack did not start: ${(err as Error).message}`);
    await shutdown(1);
    return;
  }
  const token = await stack.tenantToken('acme-eu');
  writeFileSync(
    RUNNING_FILE,
    JSON.stringify({ pid: process.pid, apiUrl: stack.apiUrl, temporal: stack.temporalAddress }, null, 2),
  );
  const sites = STACK_SITES.map(
    (s) => `    ${s.id.padEnd(12)} ${stack.withNetworkDelay ? `${s.rttMs} ms RTT` : 'loopback, no delay'}`,
  );
  console.log(
    [
      '',
      'The production-like stack is running:',
      `  API (HAProxy → ${PORTS.apiReplicas.length} replicas)  ${stack.apiUrl}   (OpenAI: ${stack.apiUrl}/v1)`,
      `  Temporal (2 servers on PostgreSQL)   ${stack.temporalAddress}`,
      `  Redis Cluster (3 masters + 3 replicas) ports ${PORTS.redis.join(',')}`,
      '  sites, each in its own network namespace with its agent:',
      ...sites,
      '',
      'Try it:',
      `  curl -s ${stack.apiUrl}/v1/chat/completions -H "authorization: Bearer ${token}" \\`,
      `    -H 'content-type: application/json' \\`,
      `    -d '{"model":"llama-3.1-8b","messages":[{"role":"user","content":"hello"}],"max_tokens":16}'`,
      '',
      'Ctrl-C stops it all.',
    ].join('\n'),
  );
}

/** Stops processes a killed `up` left running (pid files under .data/stack) and removes the namespaces. */
async function down(): Promise<void> {
  if (existsSync(RUNNING_FILE)) {
    const { pid } = JSON.parse(readFileSync(RUNNING_FILE, 'utf8')) as { pid: number };
    try {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 300 && alive(pid); i++) await sleep(100);
    } catch {
      // not running
    }
    rmSync(RUNNING_FILE, { force: true });
  }
  for (const pidFile of findPidFiles(STACK_DIR)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (pid > 0 && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      console.log(`stopped ${pidFile.slice(STACK_DIR.length + 1)} (pid ${pid})`);
    }
    rmSync(pidFile, { force: true });
  }
  await removeSiteNetwork(NAMESPACE_PREFIX);
  console.log('the stack is down.');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function findPidFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.pid'))
    .map((e) => join(e.parentPath, e.name));
}

if (command === 'up') await up();
else if (command === 'down') await down();
else {
  console.error(`usage: npm run stack:prod [-- up|down]`);
  process.exit(2);
}
