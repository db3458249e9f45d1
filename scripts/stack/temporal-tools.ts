/**
 * The real Temporal server and its SQL schema tool, built once from the server's Go module into
 * the git-ignored .tools/temporal-server/bin and reused while the pinned version stays the same
 * (a stamp file records what was built). Only the production-like stack needs them, so
 * bootstrap.mjs does not build them: `npm run stack:tools` (or the stack itself) does.
 *
 *   npx tsx scripts/stack/temporal-tools.ts   → builds what is missing, prints one JSON line
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../paths';

/**
 * v1.32.0 builds with the machine's Go 1.26; v1.32.1+ require a newer toolchain. Upgrading later:
 * bump this, rebuild, and the next stack start runs update-schema before the servers restart.
 */
export const TEMPORAL_SERVER_VERSION = 'v1.32.0';
const MODULE = 'go.temporal.io/server';
export const TEMPORAL_TOOLS_DIR = join(ROOT, '.tools', 'temporal-server');
const BIN = join(TEMPORAL_TOOLS_DIR, 'bin');
const STAMP = join(TEMPORAL_TOOLS_DIR, 'version');

export interface TemporalServerTools {
  /** the server binary (`temporal-server --config-file … start`) */
  readonly server: string;
  /** temporal-sql-tool: create-database, setup-schema, update-schema (schemas are embedded) */
  readonly sqlTool: string;
}

const run = promisify(execFile);

async function goBinary(): Promise<string> {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    try {
      await run(candidate, ['version']);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(
    `the Temporal server is built from its Go module (${MODULE}@${TEMPORAL_SERVER_VERSION}): ` +
      'install Go ≥ 1.26 (https://go.dev/dl/) and retry',
  );
}

function installed(): TemporalServerTools | null {
  const tools = { server: join(BIN, 'temporal-server'), sqlTool: join(BIN, 'temporal-sql-tool') };
  const stamp = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : '';
  return stamp === TEMPORAL_SERVER_VERSION && existsSync(tools.server) && existsSync(tools.sqlTool)
    ? tools
    : null;
}

/** The paths of the server binaries, or null when they are not built (no build attempted). */
export function temporalServerToolsIfBuilt(): TemporalServerTools | null {
  return installed();
}

export async function ensureTemporalServerTools(
  say: (m: string) => void = (m) => process.stderr.write(`${m}\n`),
): Promise<TemporalServerTools> {
  const ready = installed();
  if (ready) return ready;
  const go = await goBinary();
  // go install names binaries after their package folder (server, sql): build into a staging
  // folder, then give them the names Temporal's own images use.
  const staging = join(TEMPORAL_TOOLS_DIR, 'staging');
  mkdirSync(staging, { recursive: true });
  mkdirSync(BIN, { recursive: true });
  say(
    `building the Temporal server ${TEMPORAL_SERVER_VERSION} from its Go module (first time: several minutes)`,
  );
  const started = performance.now();
  // No extra flags (no -trimpath/-ldflags): an earlier plain `go install` of the same module
  // leaves a build cache this one then reuses, which makes a rebuild take seconds.
  await run(
    go,
    [
      'install',
      `${MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
      `${MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
    ],
    { env: { ...process.env, GOBIN: staging }, maxBuffer: 64 * 1024 * 1024 },
  ).catch((e: Error & { stderr?: string }) => {
    throw new Error(`building the Temporal server failed:\n${(e.stderr ?? e.message).slice(-4000)}`);
  });
  renameSync(join(staging, 'server'), join(BIN, 'temporal-server'));
  renameSync(join(staging, 'sql'), join(BIN, 'temporal-sql-tool'));
  writeFileSync(STAMP, `${TEMPORAL_SERVER_VERSION}\n`);
  say(`Temporal server built in ${Math.round((performance.now() - started) / 1000)} s`);
  const tools = installed();
  if (!tools) throw new Error(`the Temporal server build left no binaries in ${BIN}`);
  return tools;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const tools = await ensureTemporalServerTools();
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  process.stdout.write(`${JSON.stringify({ ...tools, version: TEMPORAL_SERVER_VERSION, seconds })}\n`);
}
