/**
 * A Merkle inclusion proof for one record of a version-2 statement, made in one pass over the line's
 * derived records (records are never stored): find the record's line from the record itself, rebuild
 * the line's tree while collecting the record's siblings, and refuse to answer unless the rebuilt
 * root and count are the signed ones — the derivation must reproduce exactly what was signed.
 */
import { FederaError } from '@federa/domain';
import type { UsageReader } from '../archive/usage-archive';
import { streamIdMs } from '../archive/stream-ids';
import type { InclusionProof } from '../merkle';
import { MerkleBuilder } from '../merkle-stream';
import type { StatementPayload } from '../statement';
import { lineMatcher, parseRecordRef, statementRecords, type DerivationContext } from './statement-records';

export async function proveRecord(
  reader: UsageReader,
  ctx: DerivationContext,
  payload: StatementPayload,
  recordRef: string,
): Promise<{ lineNo: number; proof: InclusionProof }> {
  const { tenantId, recordId } = parseRecordRef(recordRef);
  const notFound = () =>
    new FederaError('NOT_FOUND', `record '${recordRef}' is in no line of this statement`);
  const { input, tenants, lineOf, windowEndMs } = lineMatcher(ctx, payload);
  const ms = streamIdMs(recordId);
  // only records the run read: a debtor's tenant, posted in the statement's read window
  if (!tenants.includes(tenantId) || ms < input.period.startMs || ms >= windowEndMs) throw notFound();
  let lineNo: number | null = null;
  for await (const record of reader.between(tenantId, ms, ms + 1, 1000))
    if (record.recordId === recordId) lineNo = lineOf(record);
  if (lineNo === null) throw notFound();

  const tree = new MerkleBuilder();
  for await (const { ref } of statementRecords(reader, ctx, payload, { lineNo }))
    tree.add(ref, ref === recordRef);
  const line = payload.lines.find((l) => l.lineNo === lineNo)!;
  const proof = tree.proof();
  if (!proof || proof.root !== line.merkleRoot || proof.count !== line.records)
    throw new FederaError(
      'INTERNAL',
      `line ${lineNo} of '${payload.statementId}' no longer derives from the usage records ` +
        `(${tree.count} records, signed ${line.records}): its records cannot be proven`,
    );
  return { lineNo, proof };
}
