import { describe, expect, it } from 'vitest';
import { requestFingerprint } from '../request-fingerprint';
import { requestBinding } from './preflight';
import { parseChatRequest, toChatMessages } from './schemas';

describe("a /v1 request's binding to its id", () => {
  const trpc = {
    requestId: 'r-1',
    model: 'llama-3.1-8b',
    messages: [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hello' },
    ],
    max_tokens: 64,
    residency: ['FR', 'DE'],
  };

  it('is the same as the equivalent tRPC request: one id, one request, on either door', () => {
    const body = parseChatRequest({
      model: 'llama-3.1-8b',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Hello' }] },
      ],
      max_completion_tokens: 64,
      temperature: 0.3, // sampling does not change what is billed or where it may run
    });
    const binding = requestBinding('r-1', {
      model: body.model,
      messages: toChatMessages(body.messages),
      maxTokens: 64,
      requestedResidency: ['de', 'FR'],
    });
    expect(requestFingerprint(binding)).toBe(requestFingerprint(trpc));
  });

  it('differs for another max_tokens, residency, or an embeddings request with the same text', () => {
    const base = {
      model: trpc.model,
      messages: trpc.messages,
      maxTokens: 64,
      requestedResidency: ['FR', 'DE'],
    };
    const fp = (over: Partial<typeof base>) =>
      requestFingerprint(requestBinding('r-1', { ...base, ...over }));
    expect(fp({})).toBe(requestFingerprint(trpc));
    expect(fp({ maxTokens: undefined })).not.toBe(fp({}));
    expect(fp({ requestedResidency: ['FR'] })).not.toBe(fp({}));
    expect(fp({ maxTokens: 0 })).not.toBe(fp({ maxTokens: undefined }));
  });
});
