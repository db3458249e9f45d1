import { describe, expect, it } from 'vitest';
import { FederaError, MAX_OUTPUT_TOKENS } from '@federa/domain';
import {
  maxTokensOf,
  parseChatRequest,
  parseEmbeddingsRequest,
  parseResidencyHeader,
  requestedResidency,
  stopSequencesOf,
  toChatMessages,
} from './schemas';

const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'llama-3.1-8b',
  messages: [{ role: 'user', content: 'hello' }],
  ...extra,
});

/** The VALIDATION_FAILED error a body gets, with the parameter it names. */
function refusal(fn: () => unknown): { code: string; param: unknown; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof FederaError)
      return { code: err.code, param: err.details?.param, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('chat completion requests', () => {
  it('accepts the OpenAI parameters Federa honours and ignores unknown fields', () => {
    const req = parseChatRequest(
      chat({
        stream: true,
        stream_options: { include_usage: true },
        n: 1,
        temperature: 0.7,
        top_p: 0.9,
        stop: ['\n\n', 'END'],
        max_completion_tokens: 100,
        user: 'u-1',
        seed: 42,
        logit_bias: { '50256': -100 },
        federa: { residency: ['FR'] },
      }),
    );
    expect(req).toMatchObject({ stream: true, temperature: 0.7, top_p: 0.9, seed: 42, user: 'u-1' });
    expect(req).not.toHaveProperty('logit_bias');
    expect(stopSequencesOf(req)).toEqual(['\n\n', 'END']);
    expect(maxTokensOf(req)).toBe(100);
    expect(req.federa?.residency).toEqual(['FR']);
  });

  it('takes null for an optional parameter, as OpenAI does', () => {
    const req = parseChatRequest(chat({ temperature: null, stop: null, max_tokens: null, n: null }));
    expect(maxTokensOf(req)).toBeUndefined();
    expect(stopSequencesOf(req)).toBeUndefined();
  });

  it('leaves max_tokens undefined when absent (slice grants) and prefers max_completion_tokens', () => {
    expect(maxTokensOf(parseChatRequest(chat()))).toBeUndefined();
    expect(maxTokensOf(parseChatRequest(chat({ max_tokens: 7 })))).toBe(7);
    expect(maxTokensOf(parseChatRequest(chat({ max_tokens: 7, max_completion_tokens: 9 })))).toBe(9);
    expect(stopSequencesOf(parseChatRequest(chat({ stop: 'END' })))).toEqual(['END']);
  });

  it('maps developer to system and joins text parts', () => {
    const req = parseChatRequest({
      model: 'm',
      messages: [
        { role: 'developer', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'one ' },
            { type: 'text', text: 'two' },
          ],
        },
      ],
    });
    expect(toChatMessages(req.messages)).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'one two' },
    ]);
  });

  it('refuses n other than 1, naming n', () => {
    const r = refusal(() => parseChatRequest(chat({ n: 2 })));
    expect(r).toMatchObject({ code: 'VALIDATION_FAILED', param: 'n' });
    expect(r.message).toContain('only n: 1');
  });

  it('refuses a non-text content part, naming it', () => {
    const r = refusal(() =>
      parseChatRequest({
        model: 'm',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x' } }] }],
      }),
    );
    expect(r.code).toBe('VALIDATION_FAILED');
    expect(String(r.param)).toMatch(/^messages\[0\]\.content/);
  });

  it('refuses other roles, bad ranges and too many stop sequences', () => {
    expect(refusal(() => parseChatRequest(chat({ messages: [{ role: 'tool', content: 'x' }] }))).param).toBe(
      'messages[0].role',
    );
    expect(refusal(() => parseChatRequest(chat({ temperature: 3 }))).param).toBe('temperature');
    expect(refusal(() => parseChatRequest(chat({ top_p: -1 }))).param).toBe('top_p');
    expect(refusal(() => parseChatRequest(chat({ stop: ['a', 'b', 'c', 'd', 'e'] }))).param).toBe('stop');
    expect(refusal(() => parseChatRequest(chat({ max_tokens: MAX_OUTPUT_TOKENS + 1 }))).param).toBe(
      'max_tokens',
    );
    expect(refusal(() => parseChatRequest(chat({ messages: [] }))).param).toBe('messages');
    expect(refusal(() => parseChatRequest({ messages: [{ role: 'user', content: 'x' }] })).param).toBe(
      'model',
    );
    expect(refusal(() => parseChatRequest('not an object')).code).toBe('VALIDATION_FAILED');
  });
});

describe('embeddings requests', () => {
  it('accepts a string or an array of strings, and the encoding', () => {
    expect(parseEmbeddingsRequest({ model: 'e', input: 'hi' }).input).toBe('hi');
    const req = parseEmbeddingsRequest({
      model: 'e',
      input: ['a', 'b'],
      encoding_format: 'base64',
      dimensions: 8,
    });
    expect(req).toMatchObject({ input: ['a', 'b'], encoding_format: 'base64', dimensions: 8 });
  });

  it('refuses token arrays as unsupported, naming input', () => {
    for (const input of [
      [1, 2, 3],
      [[1, 2], [3]],
    ]) {
      const r = refusal(() => parseEmbeddingsRequest({ model: 'e', input }));
      expect(r).toMatchObject({ code: 'VALIDATION_FAILED', param: 'input' });
      expect(r.message).toContain('token arrays are not supported');
    }
  });

  it('refuses empty input and unknown encodings', () => {
    expect(refusal(() => parseEmbeddingsRequest({ model: 'e', input: '' })).param).toBe('input');
    expect(
      refusal(() => parseEmbeddingsRequest({ model: 'e', input: 'x', encoding_format: 'int8' })).param,
    ).toBe('encoding_format');
  });
});

describe('residency narrowing', () => {
  it('reads X-Federa-Residency as a comma-separated list', () => {
    expect(parseResidencyHeader('FR, DE')).toEqual(['FR', 'DE']);
    expect(parseResidencyHeader(undefined)).toBeUndefined();
  });

  it('takes the header or the body, and refuses the two disagreeing', () => {
    expect(requestedResidency('FR', undefined)).toEqual(['FR']);
    expect(requestedResidency(undefined, { residency: ['DE'] })).toEqual(['DE']);
    expect(requestedResidency('de,fr', { residency: ['FR', 'DE'] })).toEqual(['de', 'fr']);
    expect(refusal(() => requestedResidency('FR', { residency: ['DE'] })).param).toBe('federa.residency');
    expect(refusal(() => requestedResidency(' , ', undefined)).param).toBe('X-Federa-Residency');
  });
});
