/**
 * Exchange files over plain HTTP (not tRPC: they are files a partner's clearing system fetches and
 * loads as they are, with `curl` if need be):
 *
 *   GET /exchange/statements/<statementId, URL-encoded>/files            the manifest (JSON)
 *   GET /exchange/statements/<statementId>/files/<name>                 a file's exact bytes
 *   GET /exchange/statements/<statementId>/files/<name>.jws             its detached signature
 *
 * `?partRecords=N` sets how many records a detailed-records part holds (default 50,000). Same
 * credentials as the API (Bearer JWT or API key); a party to the statement (operator) or an admin
 * may read, a tenant is FORBIDDEN, any other operator is told the statement does not exist.
 *
 * Signatures are made with the exchange-file key, never the clearing key (the API does not hold it):
 * the manifest names both JWKS, `jwks` for the files and `statementJwks` for the statement inside.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DEFAULT_PART_RECORDS,
  MAX_PART_RECORDS,
  buildExchangeFile,
  exchangeManifest,
  signExchangeFile,
  statementRecordsFromUsage,
  verifyStatement,
  wholesalePriceOf,
  type ExchangeSource,
} from '@federa/settlement';
import { ERROR_CODES, FederaError } from '@federa/domain';
import { authenticate } from '../authenticate';
import type { ApiDeps } from '../context';
import { CLEARING_JWKS_PATH, EXCHANGE_JWKS_PATH } from '../well-known';

export const EXCHANGE_PATH = '/exchange/statements/';

const ROUTE = /^\/exchange\/statements\/([^/]+)\/files(?:\/([^/]+))?$/;

function partRecordsOf(url: URL): number {
  const raw = url.searchParams.get('partRecords');
  if (raw === null) return DEFAULT_PART_RECORDS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PART_RECORDS)
    throw new FederaError('VALIDATION_FAILED', `partRecords must be an integer in 1..${MAX_PART_RECORDS}`);
  return n;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new FederaError('VALIDATION_FAILED', 'the statement id or file name is not URL-encoded text');
  }
}

/** The statement as its parties see it, its records and prices: what every file is built from. */
async function sourceFor(deps: ApiDeps, statementId: string, req: IncomingMessage): Promise<ExchangeSource> {
  const principal = await authenticate(deps, req.headers.authorization);
  if (principal.role === 'tenant')
    throw new FederaError(
      'FORBIDDEN',
      'exchange files are for the operators party to a statement and admins',
    );
  const s = deps.settlement;
  const jws = await s.store.get(statementId);
  if (!jws) throw new FederaError('NOT_FOUND', `no statement '${statementId}'`);
  const { payload } = await verifyStatement(jws, s.jwks);
  if (principal.role === 'operator' && !payload.parties.includes(principal.subject))
    throw new FederaError('NOT_FOUND', `no statement '${statementId}'`);
  const topology = await deps.topology();
  const recordDeps = { ledger: deps.ledger, store: s.store, topology, config: s.config };
  return {
    payload,
    jws,
    priceOf: wholesalePriceOf(topology),
    records: (lineNo) => statementRecordsFromUsage(recordDeps, payload, lineNo),
  };
}

async function serve(deps: ApiDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const match = ROUTE.exec(url.pathname);
  if (!match) throw new FederaError('NOT_FOUND', 'exchange files are at /exchange/statements/<id>/files');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'GET only', data: { federaCode: 'VALIDATION_FAILED' } } }));
    return;
  }
  const statementId = decode(match[1]!);
  const partRecords = partRecordsOf(url);
  const source = await sourceFor(deps, statementId, req);
  const headers = { 'cache-control': 'private, no-store' };
  if (match[2] === undefined) {
    const manifest = {
      statementId,
      partRecords,
      // the files' detached signatures verify against this one…
      jwks: EXCHANGE_JWKS_PATH,
      // …and the statement statement.json carries against the clearing key's
      statementJwks: CLEARING_JWKS_PATH,
      files: exchangeManifest(source.payload, partRecords).map((f) => ({ ...f, signature: `${f.name}.jws` })),
    };
    res.writeHead(200, { ...headers, 'content-type': 'application/json' });
    res.end(JSON.stringify(manifest));
    return;
  }
  const name = decode(match[2]);
  const signature = name.endsWith('.jws');
  const file = await buildExchangeFile(source, signature ? name.slice(0, -4) : name, partRecords);
  if (signature) {
    const key = deps.settlement.exchangeKey;
    if (!key)
      throw new FederaError('NOT_FOUND', 'this API has no exchange-file key to sign exchange files with');
    res.writeHead(200, { ...headers, 'content-type': 'application/jose' });
    res.end(await signExchangeFile(file, key));
    return;
  }
  res.writeHead(200, {
    ...headers,
    'content-type': file.contentType,
    'content-disposition': `attachment; filename="${file.name}"`,
  });
  res.end(file.bytes);
}

/** Errors keep the API's JSON shape and the code's HTTP status; anything unexpected is a 500, logged. */
export function createExchangeHandler(deps: ApiDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    serve(deps, req, res, url).catch((err: unknown) => {
      const known = err instanceof FederaError;
      if (!known) deps.log.error({ err, path: url.pathname }, 'exchange file failed');
      const status = known ? ERROR_CODES[err.code].http : 500;
      const body = known
        ? { message: err.message, data: { federaCode: err.code } }
        : { message: 'internal error', data: { federaCode: 'INTERNAL' } };
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: body }));
    });
  };
}
