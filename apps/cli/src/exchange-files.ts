/**
 * Exchange files on the partner's side: verify each file's detached signature offline, recompute a
 * downloaded directory against its statement, and download a statement's files from the API (the
 * only step that talks to it). The command table (exchange-commands.ts) wraps these; tests call them.
 *
 * Two JWKS, never interchangeable: the files are signed with the exchange-file key (the API's), the
 * statement they carry with the clearing key (the settlement worker's). A file signature says the
 * federation served these bytes; only the clearing key's signature makes the amounts binding.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { FederaError } from '@federa/domain';
import {
  parseExchangeFileName,
  recomputeExchange,
  verifyExchangeFile,
  verifyStatementDocument,
  type FileVerified,
  type RecomputeReport,
} from '@federa/settlement';

/** the statement a statement.json carries, as the clearing key signed it */
export interface CarriedStatement {
  readonly statementId: string;
  readonly kid: string | undefined;
}

export type FileVerdict =
  | ({ readonly valid: true; readonly path: string; readonly statement?: CarriedStatement } & FileVerified)
  | { readonly valid: false; readonly path: string; readonly reason: string };

export interface VerifyFileOptions {
  /** the detached signature's file (default `<file>.jws`) */
  readonly signature?: string;
  /** also check the statement a statement.json carries against these clearing keys */
  readonly clearingJwks?: JSONWebKeySet;
}

/** `<file>` against its detached signature, with the exchange-file keys of `fileJwks`. */
export async function verifyFile(
  path: string,
  fileJwks: JSONWebKeySet,
  opts: VerifyFileOptions = {},
): Promise<FileVerdict> {
  try {
    const bytes = readFileSync(path);
    const jws = readFileSync(opts.signature ?? `${path}.jws`, 'utf8');
    const verified = await verifyExchangeFile(bytes, jws, fileJwks);
    if (verified.file !== basename(path))
      return { valid: false, path, reason: `the signature is for ${verified.file}, not ${basename(path)}` };
    // the CSV rendering carries no statement JWS: only the JSON document can be tied to the clearing key
    if (!opts.clearingJwks || verified.kind !== 'statement' || !path.endsWith('.json'))
      return { valid: true, path, ...verified };
    const carried = await verifyStatementDocument(bytes, opts.clearingJwks).catch((err: unknown) => {
      throw err instanceof FederaError
        ? new FederaError(err.code, `the statement it carries: ${err.message}`)
        : err;
    });
    return {
      valid: true,
      path,
      ...verified,
      statement: { statementId: carried.payload.statementId, kid: carried.kid },
    };
  } catch (err) {
    if (
      err instanceof FederaError ||
      err instanceof SyntaxError ||
      (err as { code?: string }).code === 'ENOENT'
    )
      return { valid: false, path, reason: (err as Error).message };
    throw err;
  }
}

export interface DirectoryReport extends RecomputeReport {
  /** with fileJwks: each file's signature */
  readonly signatures: readonly FileVerdict[];
}

export interface DirectoryKeys {
  /** the statement statement.json carries is verified against its clearing keys */
  readonly clearingJwks?: JSONWebKeySet;
  /** each file's detached signature is verified against its exchange-file keys */
  readonly fileJwks?: JSONWebKeySet;
}

/** Every exchange file in `dir`, checked against each other and the statement (and signatures, given JWKS). */
export async function recomputeDirectory(dir: string, keys: DirectoryKeys = {}): Promise<DirectoryReport> {
  const names = readdirSync(dir)
    .filter((n) => parseExchangeFileName(n) !== null)
    .sort();
  const files = new Map(names.map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
  const report = await recomputeExchange(files, keys.clearingJwks ? { clearingJwks: keys.clearingJwks } : {});
  const { fileJwks } = keys;
  const signatures = fileJwks ? await Promise.all(names.map((n) => verifyFile(join(dir, n), fileJwks))) : [];
  const unsigned = signatures
    .filter((s) => !s.valid)
    .map((s) => `${basename(s.path)}: ${(s as { reason: string }).reason}`);
  const checked = [
    ...(keys.clearingJwks ? ['the statement: signed by the clearing key'] : []),
    ...report.checked,
    ...(fileJwks ? [`${names.length} files: each signed by the exchange-file key`] : []),
  ];
  return { ...report, checked, problems: [...report.problems, ...unsigned], signatures };
}

export interface DownloadOptions {
  readonly api: string;
  readonly token: string;
  readonly statementId: string;
  readonly dir: string;
  /** also the detailed records (one file per part of each line) */
  readonly detailed: boolean;
  readonly partRecords?: number;
}

/** the API's manifest of a statement's files, saved beside them by `exchange download` */
export const MANIFEST_FILE = 'manifest.json';

/** Fetch a statement's files, their signatures and the manifest into `dir`; returns the names written. */
export async function downloadExchange(o: DownloadOptions): Promise<string[]> {
  const base = `${o.api}/exchange/statements/${encodeURIComponent(o.statementId)}/files`;
  const query = o.partRecords === undefined ? '' : `?partRecords=${o.partRecords}`;
  const get = async (url: string): Promise<Uint8Array> => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${o.token}` } });
    const body = new Uint8Array(await res.arrayBuffer());
    if (!res.ok) {
      let code = 'INTERNAL';
      let message = `HTTP ${res.status}`;
      try {
        const e = (
          JSON.parse(new TextDecoder().decode(body)) as {
            error: { message: string; data: { federaCode: string } };
          }
        ).error;
        code = e.data.federaCode;
        message = e.message;
      } catch {
        // not our JSON error: keep the status
      }
      throw new FederaError(code as 'INTERNAL', message);
    }
    return body;
  };
  const manifestBytes = await get(`${base}${query}`);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as {
    files: { name: string; onRequest: boolean }[];
  };
  // the names become paths here: only an exchange file's own name (no directory, no '..') is written
  const strange = manifest.files.find((f) => parseExchangeFileName(f.name) === null);
  if (strange)
    throw new FederaError(
      'VALIDATION_FAILED',
      `the manifest names "${strange.name}", which is no exchange file`,
    );
  mkdirSync(o.dir, { recursive: true });
  const written: string[] = [];
  for (const f of manifest.files) {
    if (f.onRequest && !o.detailed) continue;
    for (const name of [f.name, `${f.name}.jws`]) {
      writeFileSync(join(o.dir, name), await get(`${base}/${encodeURIComponent(name)}${query}`));
      written.push(name);
    }
  }
  // last, so a directory with a manifest is a complete download; it is unsigned (the files are signed
  // one by one): what it adds is the list of files and the key sets that verify them
  writeFileSync(join(o.dir, MANIFEST_FILE), manifestBytes);
  written.push(MANIFEST_FILE);
  return written;
}
