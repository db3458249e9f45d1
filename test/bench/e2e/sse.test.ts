import { describe, expect, it } from 'vitest';
import { ChatStreamReader } from './sse';

const chunk = (delta: Record<string, unknown>) =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;

describe('ChatStreamReader', () => {
  it('marks the first content token (not the empty role chunk) exactly once', () => {
    const r = new ChatStreamReader();
    expect(r.push(chunk({ role: 'assistant', content: '' }))).toBe(false);
    expect(r.sawContent).toBe(false);
    expect(r.push(chunk({ content: 'Hel' }))).toBe(true);
    expect(r.push(chunk({ content: 'lo' }))).toBe(false);
    expect(r.done).toBe(false);
    r.push('data: [DONE]\n\n');
    expect(r.done).toBe(true);
    expect(r.error).toBeUndefined();
  });

  it('reassembles events split anywhere across reads, with CRLF line ends and keep-alive comments', () => {
    const stream = (': ping\r\n\r\n' + chunk({ content: 'token' }) + 'data: [DONE]\n\n').replace(
      /\n/g,
      '\r\n',
    );
    const r = new ChatStreamReader();
    const firsts: boolean[] = [];
    for (let i = 0; i < stream.length; i += 3) firsts.push(r.push(stream.slice(i, i + 3)));
    expect(firsts.filter(Boolean)).toHaveLength(1);
    expect(r.sawContent).toBe(true);
    expect(r.done).toBe(true);
  });

  it('reports an error event that ends the stream', () => {
    const r = new ChatStreamReader();
    r.push(chunk({ content: 'partial' }));
    r.push(
      `data: ${JSON.stringify({ error: { message: 'the site failed', code: 'SITE_FAILED_MID_STREAM' } })}\n\n`,
    );
    expect(r.error).toBe('the site failed');
    expect(r.done).toBe(false);
  });

  it('ignores usage-only chunks (no choices) for TTFT', () => {
    const r = new ChatStreamReader();
    expect(r.push(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5 } })}\n\n`)).toBe(false);
    expect(r.sawContent).toBe(false);
  });
});
