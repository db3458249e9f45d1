/** bench:e2e's parameters: read from the environment here and nowhere else. */

export interface BenchConfig {
  /** measured requests per mode (each target × plain/stream × concurrency) */
  readonly requests: number;
  /** requests per target before measuring (worker bundle, connections, JIT) */
  readonly warmup: number;
  /**
   * the OpenAI base URL measured as "Federa"; default: the bench API's /v1. Pointed at the
   * emulator's own /v1, the run is direct vs direct: a check of the bench itself.
   */
  readonly federaUrl: string | undefined;
  /** the OpenAI base URL measured as "direct"; default: the emulator of the site Federa chose */
  readonly directUrl: string | undefined;
  /**
   * the tenant the bench's dev JWT is minted for. nordic-fin's residency (NORDICS) is served by one
   * site only, so Federa and direct always reach the same emulator (same ttft and tokens/s).
   */
  readonly tenant: string;
  readonly model: string;
  /** fixed, so direct and Federa generate the same output */
  readonly maxTokens: number;
  /** the apps' log level (per-request info logs would be measured too) */
  readonly logLevel: string;
}

function int(source: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = source[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}`);
  return value;
}

function url(source: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = source[name];
  if (!raw) return undefined;
  if (!URL.canParse(raw)) throw new Error(`${name} must be a URL (an OpenAI base URL ending in /v1)`);
  return raw.replace(/\/+$/, '');
}

export function loadBenchConfig(source: NodeJS.ProcessEnv = process.env): BenchConfig {
  const logLevel = source.BENCH_LOG_LEVEL || 'warn';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    throw new Error('BENCH_LOG_LEVEL must be debug, info, warn or error');
  return {
    requests: int(source, 'BENCH_REQUESTS', 300, 10),
    warmup: int(source, 'BENCH_WARMUP', 30, 1),
    federaUrl: url(source, 'BENCH_FEDERA_URL'),
    directUrl: url(source, 'BENCH_DIRECT_URL'),
    tenant: source.BENCH_TENANT || 'nordic-fin',
    model: source.BENCH_MODEL || 'llama-3.1-8b',
    maxTokens: int(source, 'BENCH_MAX_TOKENS', 64, 1),
    logLevel,
  };
}
