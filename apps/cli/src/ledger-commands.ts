/**
 * `federa ledger audit [--from ISO] [--to ISO] [--slack-ms N]`: proves, for a time range, that every
 * completed request workflow has exactly one usage record and every record one workflow. It talks
 * to Temporal and Redis directly (an operator tool, not an API call); exit code 1 on any mismatch.
 */
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import type { Args } from './args';
import { UsageError } from './client';
import { ADMIN, type Command } from './command';
import { auditLedger, renderAudit } from './ledger-audit';
import { gatherAudit } from './ledger-audit-sources';
import { loadAuditConfig } from './ledger-audit-config';

const DAY_MS = 86_400_000;

function time(a: Args, name: string, fallback: number): number {
  const raw = a.string(name);
  if (raw === undefined) return fallback;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) throw new UsageError(`--${name} must be an ISO date-time, got '${raw}'`);
  return ms;
}

export const LEDGER_COMMANDS: Readonly<Record<string, Command>> = {
  'ledger audit': {
    usage:
      'ledger audit [--from ISO] [--to ISO] [--slack-ms N] [--redis URL] [--temporal HOST:PORT] [--namespace NS] [--federation NAME] [--task-queue Q]',
    as: ADMIN,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'slack-ms': { type: 'string' },
      redis: { type: 'string' },
      temporal: { type: 'string' },
      namespace: { type: 'string' },
      federation: { type: 'string' },
      'task-queue': { type: 'string' },
    },
    local: async (a) => {
      const config = loadAuditConfig();
      const toMs = time(a, 'to', Date.now());
      const fromMs = time(a, 'from', toMs - DAY_MS);
      if (fromMs >= toMs) throw new UsageError('--from must be before --to');
      // a record is appended a moment before its workflow closes: read both sides a little wider
      const slackMs = a.number('slack-ms') ?? 10 * 60_000;
      const redis = new Redis(a.string('redis') ?? config.redisUrl, {
        lazyConnect: true,
        maxRetriesPerRequest: 3,
      });
      const connection = await Connection.connect({
        address: a.string('temporal') ?? config.temporalAddress,
      });
      try {
        await redis.connect();
        const temporal = new Client({ connection, namespace: a.string('namespace') ?? config.namespace });
        const { workflows, records } = await gatherAudit(
          {
            temporal,
            redis,
            federation: a.string('federation') ?? config.federation,
            controlTaskQueue: a.string('task-queue') ?? config.controlTaskQueue,
          },
          fromMs - slackMs,
          toMs + slackMs,
        );
        const report = auditLedger({ fromMs, toMs }, workflows, records);
        return { result: report, text: renderAudit(report), failed: !report.ok };
      } finally {
        redis.disconnect();
        await connection.close();
      }
    },
  },
};
