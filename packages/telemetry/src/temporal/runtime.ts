/**
 * The one Temporal Runtime of a Federa process (API or worker): the SDK's log lines go through the
 * app's pino logger at warn and above, and, when metrics are on, core's metrics are buffered and
 * drained into the process registry (bridge.ts). Runtime.install must run before the process's first
 * NativeConnection, so both mains call this at their very top.
 */
import {
  DefaultLogger,
  MetricsBuffer,
  Runtime,
  makeTelemetryFilterString,
  type LogLevel,
} from '@temporalio/worker';
import type { Registry } from 'prom-client';
import { TemporalMetricsBridge } from './bridge';

/** What of a pino logger the runtime writes to. */
export interface RuntimeLog {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface TemporalRuntimeOptions {
  readonly log: RuntimeLog;
  /** the app's LOG_LEVEL: the SDK's info chatter is shown only at debug */
  readonly logLevel: string;
  /** buffer core's metrics for the registry (false: core records none, at no cost) */
  readonly metrics: boolean;
  /** SDK messages not worth a line (e.g. site agents' "No workflows registered") */
  readonly quiet?: (message: string) => boolean;
  /** how often the buffer is drained between scrapes, so it never fills (default 1 s) */
  readonly drainIntervalMs?: number;
}

export interface TemporalMetrics {
  /** export the Temporal families through this registry (call once the registry exists) */
  bind(registry: Registry): void;
  /** move the buffered updates into the families now (the metrics server's beforeScrape) */
  drain(): void;
  stop(): void;
}

const SDK_LEVELS: Record<string, LogLevel> = { debug: 'DEBUG', info: 'WARN', warn: 'WARN', error: 'ERROR' };
/** far above what a second of a busy worker's updates needs: a full buffer drops updates */
const BUFFER_SIZE = 200_000;

export function installTemporalRuntime(opts: TemporalRuntimeOptions): TemporalMetrics | undefined {
  const buffer = opts.metrics
    ? new MetricsBuffer({ maxBufferSize: BUFFER_SIZE, useSecondsForDurations: true })
    : undefined;
  Runtime.install({
    logger: new DefaultLogger(SDK_LEVELS[opts.logLevel] ?? 'WARN', ({ level, message, meta }) => {
      if (opts.quiet?.(message)) return;
      opts.log[level === 'ERROR' ? 'error' : level === 'WARN' ? 'warn' : 'debug']({ ...meta }, message);
    }),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(buffer ? { metrics: { buffer } } : {}),
    },
  });
  if (!buffer) return undefined;
  const bridge = new TemporalMetricsBridge();
  const drain = () => {
    try {
      bridge.apply(buffer.retrieveUpdates());
    } catch (err) {
      opts.log.warn({ err }, 'temporal metrics drain failed');
    }
  };
  const timer = setInterval(drain, opts.drainIntervalMs ?? 1_000);
  timer.unref();
  return {
    bind: (registry) => bridge.bind(registry),
    drain,
    stop: () => clearInterval(timer),
  };
}
