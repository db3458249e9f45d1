/** The code a request's failure is counted under: the stable code its client sees. */
import { TRPCError } from '@trpc/server';
import { FederaError } from '@federa/domain';
import { ClientGoneError } from '../admission';
import { domainErrorOfWorkflow, federaCodeOf } from '../errors';
import { ClientLeftError } from '../openai/admitted';
import { OpenAiHttpError } from '../openai/errors';
import { CLIENT_CLOSED } from './request-meter';

export function outcomeCodeOf(err: unknown): string {
  if (err instanceof ClientLeftError || err instanceof ClientGoneError) return CLIENT_CLOSED;
  if (err instanceof OpenAiHttpError) return err.code;
  if (err instanceof TRPCError) return federaCodeOf(err);
  const domain = err instanceof FederaError ? err : domainErrorOfWorkflow(err);
  return domain?.code ?? 'INTERNAL';
}
