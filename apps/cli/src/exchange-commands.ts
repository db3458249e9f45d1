/**
 * `federa exchange …`: a statement's signed exchange files. `verify` and `recompute` are offline
 * (files and JWKS, no API, no credentials); `download` fetches them through the API.
 *
 * Two key sets: `--file-jwks` (the API's /.well-known/federa-exchange-jwks.json) for the files'
 * signatures, `--clearing-jwks` (/.well-known/federa-clearing-jwks.json) for the statement they
 * carry. `--jwks` is kept for scripts written before the split and means what it checked first:
 * the file signature in `verify` (= --file-jwks), the statement in `recompute` (= --clearing-jwks).
 */
import type { Args } from './args';
import { UsageError } from './client';
import { ADMIN, type Command } from './command';
import { downloadExchange, recomputeDirectory, verifyFile } from './exchange-files';
import { loadJwks } from './statements';

const JWKS_OPTIONS = {
  'file-jwks': { type: 'string' },
  'clearing-jwks': { type: 'string' },
  jwks: { type: 'string' },
} as const;

/** `--<name>`, or the older `--jwks` standing for it; both at once is a usage error (exit 2). */
function jwksSource(a: Args, name: 'file-jwks' | 'clearing-jwks'): string | undefined {
  const own = a.string(name);
  const legacy = a.string('jwks');
  if (own !== undefined && legacy !== undefined)
    throw new UsageError(`--jwks is the older name of --${name} here: give one of them`);
  return own ?? legacy;
}

export const EXCHANGE_COMMANDS: Readonly<Record<string, Command>> = {
  'exchange verify': {
    usage:
      'exchange verify FILE --file-jwks FILE_OR_URL [--clearing-jwks FILE_OR_URL] [--signature FILE.jws]   (offline; --clearing-jwks: statement.json also has the statement it carries checked; --jwks = --file-jwks)',
    as: ADMIN,
    positionals: ['FILE'],
    options: { ...JWKS_OPTIONS, signature: { type: 'string' } },
    local: async (a) => {
      const fileSource = jwksSource(a, 'file-jwks');
      if (fileSource === undefined) throw new UsageError('--file-jwks is required');
      const clearingSource = a.string('clearing-jwks');
      const path = a.positional(0, 'FILE');
      const signature = a.string('signature');
      const v = await verifyFile(path, await loadJwks(fileSource), {
        ...(signature === undefined ? {} : { signature }),
        ...(clearingSource === undefined ? {} : { clearingJwks: await loadJwks(clearingSource) }),
      });
      if (!v.valid) return { result: v, text: `signature INVALID: ${path}: ${v.reason}`, failed: true };
      const statement = v.statement
        ? `\nstatement ${v.statement.statementId}: signed by clearing key ${v.statement.kid ?? '-'}`
        : '';
      return {
        result: v,
        text: `signature valid: ${v.file} (${v.schema}), exchange-file key ${v.kid ?? '-'}${statement}`,
      };
    },
  },
  'exchange recompute': {
    usage:
      'exchange recompute DIR [--clearing-jwks FILE_OR_URL [--file-jwks FILE_OR_URL]]   (offline; --clearing-jwks also checks the statement, --file-jwks every file signature; --jwks = --clearing-jwks)',
    as: ADMIN,
    positionals: ['DIR'],
    options: JWKS_OPTIONS,
    local: async (a) => {
      const clearingSource = jwksSource(a, 'clearing-jwks');
      const fileSource = a.string('file-jwks');
      // a file signature only says who served the bytes: worth checking against a verified statement
      if (fileSource !== undefined && clearingSource === undefined)
        throw new UsageError(
          '--file-jwks goes with --clearing-jwks: the files are checked against a verified statement',
        );
      const report = await recomputeDirectory(a.positional(0, 'DIR'), {
        ...(clearingSource === undefined ? {} : { clearingJwks: await loadJwks(clearingSource) }),
        ...(fileSource === undefined ? {} : { fileJwks: await loadJwks(fileSource) }),
      });
      const checked = report.checked.map((c) => `  ok  ${c}`).join('\n');
      const unchecked = [
        ...(clearingSource === undefined ? ["  --  the statement's signature (--clearing-jwks)"] : []),
        ...(fileSource === undefined ? ["  --  the files' signatures (--file-jwks)"] : []),
      ].join('\n');
      if (report.problems.length === 0)
        return {
          result: report,
          text: `${report.statementId}: the files agree with the statement\n${checked}${unchecked ? `\nnot checked:\n${unchecked}` : ''}`,
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
        text: `${written.length} files written to ${dir} (check them: federa exchange recompute ${dir} --clearing-jwks … --file-jwks …)`,
      };
    },
  },
};
