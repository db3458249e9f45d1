/**
 * What the API does with a prompt before anything else sees it: count its tokens (off the event loop,
 * with a deadline) and seal it to the keys of the jurisdictions the request may be served in, so
 * only a site agent there can open it. Neither the workflow nor the control plane ever holds it.
 */
import type { GeneralJWE } from 'jose';
import { FederaError, type ChatMessage, type TopologyIndex } from '@federa/domain';
import { sealFor } from '@federa/sealing';
import { TOKENS_PER_MESSAGE, TOKENS_PER_REPLY_PRIMING } from '@federa/tokenizer';
import { TokenCountBusyError, TokenCountTimeoutError } from '@federa/tokenizer/pool';
import type { ServedDeps } from '../context';

export interface SealedPayload {
  /** clear messages only where payload sealing is off */
  readonly messages?: readonly ChatMessage[] | undefined;
  readonly sealedMessages?: GeneralJWE | undefined;
  readonly inputTokens: number;
}

/** Counts on the worker pool; a count that overruns its deadline is refused, not waited for. */
export async function countTokens(
  deps: Pick<ServedDeps, 'tokenCounter'>,
  messages: readonly ChatMessage[],
): Promise<number> {
  try {
    return await deps.tokenCounter.count(messages);
  } catch (err) {
    if (err instanceof TokenCountTimeoutError)
      throw new FederaError('PROMPT_TOO_LARGE', 'the prompt could not be counted in time; shorten it');
    if (err instanceof TokenCountBusyError)
      throw new FederaError('OVERLOADED', 'the federation is at capacity; retry shortly', {
        retryAfterMs: 1000,
      });
    throw err;
  }
}

/**
 * Only the sealing: the data plane runs it while the control plane admits the request, since the
 * sealed prompt is needed only when it goes to the chosen site's agent.
 */
export async function sealMessages(
  deps: Pick<ServedDeps, 'payloadKeys'>,
  topology: TopologyIndex,
  allowed: ReadonlySet<string>,
  messages: readonly ChatMessage[],
): Promise<Omit<SealedPayload, 'inputTokens'>> {
  if (!deps.payloadKeys) return { messages };
  const keys = deps.payloadKeys;
  const recipients = [...new Set(topology.topology.sites.map((s) => s.jurisdiction))]
    .filter((c) => allowed.has(c))
    .sort()
    .flatMap((c) => (keys.jurisdictions[c] ? [keys.jurisdictions[c]] : []));
  return { sealedMessages: await sealFor(JSON.stringify(messages), recipients) };
}

/**
 * Tokens of plain texts (embeddings input), on the same pool. The pool counts chats; a chat of
 * texts with an empty role costs exactly TOKENS_PER_MESSAGE per text plus the reply priming on top of
 * the texts' own tokens (tokenizer/src/index.ts countChatTokens), which is taken off again.
 */
export async function countTextsTokens(
  deps: Pick<ServedDeps, 'tokenCounter'>,
  texts: readonly string[],
): Promise<number> {
  const asChat = texts.map((content) => ({ role: '', content }) as unknown as ChatMessage);
  const total = await countTokens(deps, asChat);
  return total - TOKENS_PER_REPLY_PRIMING - TOKENS_PER_MESSAGE * texts.length;
}

/** Seal embeddings input like a chat's messages. */
export async function sealTexts(
  deps: Pick<ServedDeps, 'tokenCounter' | 'payloadKeys'>,
  topology: TopologyIndex,
  allowed: ReadonlySet<string>,
  texts: readonly string[],
): Promise<{
  readonly input?: readonly string[];
  readonly sealedInput?: GeneralJWE;
  readonly inputTokens: number;
}> {
  const inputTokens = countTextsTokens(deps, texts);
  if (!deps.payloadKeys) return { input: texts, inputTokens: await inputTokens };
  const keys = deps.payloadKeys;
  const recipients = [...new Set(topology.topology.sites.map((s) => s.jurisdiction))]
    .filter((c) => allowed.has(c))
    .sort()
    .flatMap((c) => (keys.jurisdictions[c] ? [keys.jurisdictions[c]] : []));
  const [sealedInput, count] = await Promise.all([sealFor(JSON.stringify(texts), recipients), inputTokens]);
  return { sealedInput, inputTokens: count };
}
