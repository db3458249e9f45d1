import { afterAll, describe, expect, it } from 'vitest';
import { countChatTokens } from './index';
import { TokenCountBusyError, TokenCountPool, TokenCountTimeoutError } from './pool';

// a worker thread loads the tokenizer's tables when it starts (here, and again after a replacement):
// seconds on a loaded 2-core machine, so these tests get more than vitest's default 5 s to finish
const WORKER_START_ALLOWANCE_MS = 30_000;

describe('token count pool', () => {
  const pool = new TokenCountPool({ size: 1, deadlineMs: 10_000, maxQueued: 2 });
  afterAll(() => pool.close());

  it(
    'counts on a worker thread exactly as countChatTokens does',
    async () => {
      const messages = [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'Hello, Federa! '.repeat(200) },
      ];
      expect(await pool.count(messages)).toBe(countChatTokens(messages));
    },
    WORKER_START_ALLOWANCE_MS,
  );

  it('refuses at once when the wait queue is full', async () => {
    const messages = [{ role: 'user', content: 'hi' }];
    const running = [pool.count(messages), pool.count(messages), pool.count(messages)];
    await expect(pool.count(messages)).rejects.toBeInstanceOf(TokenCountBusyError);
    await Promise.all(running);
  });

  it(
    'terminates and replaces a worker that overruns its deadline',
    async () => {
      const strict = new TokenCountPool({ size: 1, deadlineMs: 10_000, maxQueued: 10 });
      try {
        const slow = [{ role: 'user', content: 'a b '.repeat(500_000) }];
        await expect(strict.count(slow, 1)).rejects.toBeInstanceOf(TokenCountTimeoutError);
        // the replacement worker serves the next count
        expect(await strict.count([{ role: 'user', content: 'hi' }])).toBe(
          countChatTokens([{ role: 'user', content: 'hi' }]),
        );
      } finally {
        await strict.close();
      }
    },
    WORKER_START_ALLOWANCE_MS,
  );
});
