/**
 * `federa exchange …`: a statement's signed exchange files. `verify` and `recompute` are offline
 * (files and a JWKS, no API, no credentials); `download` fetches them through the API.
 */
import { UsageError } from './client';
import { ADMIN, type Command } from './command';
import { downloadExchange, recomputeDirectory, verifyFile } from './exchange-files';
import { loadJwks } from './statements';

export const EXCHANGE_COMMANDS: Readonly<Record<string, Command>> = {
  'exchange verify': {
    usage: 'exchange verify FILE --jwks FILE_OR_URL [--signature FILE.jws]   (offline)',
    as: ADMIN,
    positionals: ['FILE'],
    options: { jwks: { type: 'string' }, signature: { type: 'string' } },
    local: async (a) => {
      const jwks = await loadJwks(a.required('jwks'));
      const path = a.positional(0, 'FILE');
      const v = await verifyFile(path, jwks, a.string('signature'));
      return v.valid
        ? { result: v, text: `signature valid: ${v.file} (${v.schema}), key ${v.kid ?? '-'}` }
        : { result: v, text: `signature INVALID: ${path}: ${v.reason}`, failed: true };
    },
  },
  'exchange recompute': {
    usage: 'exchange recompute DIR [--jwks FILE_OR_URL]   (offline; --jwks also checks every signature)',
    as: ADMIN,
    positionals: ['DIR'],
    options: { jwks: { type: 'string' } },
    local: async (a) => {
      const source = a.string('jwks');
      const report = await recomputeDirectory(
        a.positional(0, 'DIR'),
        source ? await loadJwks(source) : undefined,
      );
      const checked = report.checked.map((c) => `  ok  ${c}`).join('\n');
      if (report.problems.length === 0)
        return {
          result: report,
          text: `${report.statementId}: the files agree with the statement\n${checked}`,
        };
      return {
        result: report,
        text: `${report.statementId ?? 'no statement'}: ${report.problems.length} mismatch(es)\n${report.problems.map((p) => `  - ${p}`).join('\n')}`,
        failed: true,
      };
    },
  },
  'exchange download': {
    usage:
      'exchange download STATEMENT_ID --out DIR [--detailed] [--part-records N]   (operators: --as operator:ID)',
    as: ADMIN,
    positionals: ['STATEMENT_ID'],
    options: {
      out: { type: 'string' },
      detailed: { type: 'boolean', default: false },
      'part-records': { type: 'string' },
    },
    local: async (a, _connect, session) => {
      const dir = a.required('out');
      const partRecords = a.integer('part-records');
      if (partRecords === 0) throw new UsageError('--part-records must be at least 1');
      const { api, token } = await session();
      const written = await downloadExchange({
        api,
        token,
        statementId: a.positional(0, 'STATEMENT_ID'),
        dir,
        detailed: a.flag('detailed'),
        ...(partRecords === undefined ? {} : { partRecords }),
      });
      return {
        result: { dir, files: written },
        text: `${written.length} files written to ${dir} (check them: federa exchange recompute ${dir} --jwks …)`,
      };
    },
  },
};
