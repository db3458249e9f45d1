/** Runs `federa ledger audit` against Temporal and Redis (loaded on demand by ledger-commands.ts). */
import { Client, Connection } from '@temporalio/client';
import { connectRedis } from '@federa/redis';
import type { Args } from './args';
import type { CommandOutput } from './command';
import { auditLedger, renderAudit } from './ledger-audit';
import { loadAuditConfig } from './ledger-audit-config';
import { gatherAudit } from './ledger-audit-sources';

export async function runLedgerAudit(a: Args, fromMs: number, toMs: number): Promise<CommandOutput> {
  const config = loadAuditConfig();
  // a record is appended a moment before its workflow closes: read both sides a little wider
  const slackMs = a.number('slack-ms') ?? 10 * 60_000;
  const redis = connectRedis(a.string('redis') ?? config.redisUrl, {
    name: 'federa-cli',
    lazyConnect: true,
    maxRetriesPerRequest: 3,
  });
  const connection = await Connection.connect({ address: a.string('temporal') ?? config.temporalAddress });
  try {
    await redis.connect();
    const temporal = new Client({ connection, namespace: a.string('namespace') ?? config.namespace });
    const { workflows, records } = await gatherAudit(
      {
        temporal,
        redis,
        federation: a.string('federation') ?? config.federation,
        controlTaskQueue: a.string('task-queue') ?? config.controlTaskQueue,
        usageArchiveDir: a.string('archive-dir') ?? config.usageArchiveDir,
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
}
