/**
 * Exchange files on the partner's side: verify each file's detached signature offline, recompute a
 * downloaded directory against its statement, and download a statement's files from the API (the
 * only step that talks to it). The command table (exchange-commands.ts) wraps these; tests call them.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { FederaError } from '@federa/domain';
import {
  parseExchangeFileName,
  recomputeExchange,
  verifyExchangeFile,
  type FileVerified,
  type RecomputeReport,
} from '@federa/settlement';

export type FileVerdict =
  | ({ readonly valid: true; readonly path: string } & FileVerified)
  | { readonly valid: false; readonly path: string; readonly reason: string };

/** `<file>` against `<file>.jws` (or the signature file given). */
export async function verifyFile(
  path: string,
  jwks: JSONWebKeySet,
  jwsPath = `${path}.jws`,
): Promise<FileVerdict> {
  try {
    const verified = await verifyExchangeFile(readFileSync(path), readFileSync(jwsPath, 'utf8'), jwks);
    if (verified.file !== basename(path))
      return { valid: false, path, reason: `the signature is for ${verified.file}, not ${basename(path)}` };
    return { valid: true, path, ...verified };
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
  /** with --jwks: each file's signature */
  readonly signatures: readonly FileVerdict[];
}

/** Every exchange file in `dir`, checked against each other and the statement (and signatures, given a JWKS). */
export async function recomputeDirectory(dir: string, jwks?: JSONWebKeySet): Promise<DirectoryReport> {
  const names = readdirSync(dir)
    .filter((n) => parseExchangeFileName(n) !== null)
    .sort();
  const files = new Map(names.map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
  const report = await recomputeExchange(files, jwks ? { clearingJwks: jwks } : {});
  const signatures = jwks ? await Promise.all(names.map((n) => verifyFile(join(dir, n), jwks))) : [];
  const unsigned = signatures
    .filter((s) => !s.valid)
    .map((s) => `${basename(s.path)}: ${(s as { reason: string }).reason}`);
  return { ...report, problems: [...report.problems, ...unsigned], signatures };
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

/** Fetch a statement's files and their signatures into `dir`; returns the names written. */
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
  const manifest = JSON.parse(new TextDecoder().decode(await get(`${base}${query}`))) as {
    files: { name: string; onRequest: boolean }[];
  };
  mkdirSync(o.dir, { recursive: true });
  const written: string[] = [];
  for (const f of manifest.files) {
    if (f.onRequest && !o.detailed) continue;
    for (const name of [f.name, `${f.name}.jws`]) {
      writeFileSync(join(o.dir, name), await get(`${base}/${encodeURIComponent(name)}${query}`));
      written.push(name);
    }
  }
  return written;
}
