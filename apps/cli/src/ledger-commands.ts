/**
 * `federa ledger audit [--from ISO] [--to ISO] [--slack-ms N]`: proves, for a time range, that every
 * completed request workflow has exactly one usage record and every record one workflow. It talks
 * to Temporal and Redis directly (an operator tool, not an API call); exit code 1 on any mismatch.
 */
import type { Args } from './args';
import { UsageError } from './client';
import { ADMIN, type Command } from './command';

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
      'ledger audit [--from ISO] [--to ISO] [--slack-ms N] [--redis URL] [--temporal HOST:PORT] [--namespace NS] [--federation NAME] [--task-queue Q] [--archive-dir DIR]',
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
      'archive-dir': { type: 'string' },
    },
    local: async (a) => {
      const toMs = time(a, 'to', Date.now());
      const fromMs = time(a, 'from', toMs - DAY_MS);
      if (fromMs >= toMs) throw new UsageError('--from must be before --to');
      // Temporal's client and Redis load only when the audit runs, not for every other command
      const { runLedgerAudit } = await import('./ledger-audit-run');
      return runLedgerAudit(a, fromMs, toMs);
    },
  },
};
