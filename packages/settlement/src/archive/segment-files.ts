/**
 * One archived segment on disk: `<dir>/<namespace>/<fromMs>-<toMs>/` holds one gzip'd NDJSON file
 * per tenant (`<tenant>.ndjson.gz`, one stored usage record per line, oldest first, exactly as the
 * ledger returned it: the record plus its `recordId`) and a `manifest.json` written last, with each
 * file's record count and SHA-256. A segment without a manifest is incomplete and is never read.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { StoredUsageRecord } from '@federa/domain';

export interface Segment {
  /** stream ids (post times, ms) in [fromMs, toMs) */
  readonly fromMs: number;
  readonly toMs: number;
}

export interface Manifest extends Segment {
  readonly format: 'federa.usage-archive.v1';
  readonly tenants: Readonly<Record<string, { readonly records: number; readonly sha256: string }>>;
}

export const segmentDir = (root: string, s: Segment) => join(root, `${s.fromMs}-${s.toMs}`);
const tenantFile = (dir: string, tenantId: string) => join(dir, `${encodeURIComponent(tenantId)}.ndjson.gz`);

/** Write one tenant's records of a segment (via a temporary name: a rerun overwrites it whole). */
export async function writeTenantFile(
  dir: string,
  tenantId: string,
  records: AsyncIterable<StoredUsageRecord>,
): Promise<{ records: number; sha256: string }> {
  await mkdir(dir, { recursive: true });
  const file = tenantFile(dir, tenantId);
  const hash = createHash('sha256');
  let count = 0;
  const lines = Readable.from(
    (async function* () {
      for await (const r of records) {
        count++;
        yield `${JSON.stringify(r)}\n`;
      }
    })(),
  );
  const digest = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(lines, createGzip(), digest, createWriteStream(`${file}.tmp`));
  await rename(`${file}.tmp`, file);
  return { records: count, sha256: hash.digest('hex') };
}

export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const file = join(dir, 'manifest.json');
  await writeFile(`${file}.tmp`, JSON.stringify(manifest, null, 2));
  await rename(`${file}.tmp`, file);
}

export async function readManifest(dir: string): Promise<Manifest | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** One tenant's archived records of a segment, oldest first (none if the tenant had none). */
export async function* readTenantFile(dir: string, tenantId: string): AsyncGenerator<StoredUsageRecord> {
  const manifest = await readManifest(dir);
  if (!manifest) throw new Error(`usage archive segment ${dir} is incomplete (no manifest)`);
  if (!Object.hasOwn(manifest.tenants, tenantId)) return;
  const lines = createInterface({ input: createReadStream(tenantFile(dir, tenantId)).pipe(createGunzip()) });
  for await (const line of lines) if (line !== '') yield JSON.parse(line) as StoredUsageRecord;
}
