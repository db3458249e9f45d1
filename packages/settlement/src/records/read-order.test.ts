import { describe, expect, it } from 'vitest';
import { readAhead } from './read-order';

/** an async source of `items` that notes when it is opened and when it is closed */
function source(name: string, items: number[], log: string[]) {
  return {
    async *[Symbol.asyncIterator]() {
      log.push(`open ${name}`);
      try {
        for (const item of items) {
          await Promise.resolve();
          yield item;
        }
      } finally {
        log.push(`close ${name}`);
      }
    },
  };
}

describe('readAhead', () => {
  it('batches the sources one after the other, in order, skipping empty ones', async () => {
    const log: string[] = [];
    const sources = [
      source('a', [1, 2, 3], log),
      source('b', [], log),
      source('c', [4, 5, 6, 7, 8], log),
      source('d', [9], log),
    ];
    const batches: number[][] = [];
    for await (const batch of readAhead(sources, 4)) batches.push(batch);
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9]]);
    expect(log).toEqual(['open a', 'close a', 'open b', 'close b', 'open c', 'close c', 'open d', 'close d']);
  });

  it('yields nothing for no sources or only empty ones', async () => {
    const log: string[] = [];
    for await (const _ of readAhead([], 3)) throw new Error('no batch expected');
    for await (const _ of readAhead([source('a', [], log)], 3)) throw new Error('no batch expected');
  });

  it('when the caller stops early, closes the source being read and opens no further one', async () => {
    const log: string[] = [];
    const sources = function* () {
      yield source('a', [1, 2, 3], log);
      yield source('b', [4, 5], log);
      yield source('c', [6], log);
    };
    for await (const batch of readAhead(sources(), 2)) {
      expect(batch).toEqual([1, 2]);
      break;
    }
    // the next batch was already being read from 'a' (read ahead); nothing past it is opened
    expect(log).toContain('close a');
    expect(log).not.toContain('open c');
    expect(log.filter((l) => l.startsWith('open')).length).toBe(
      log.filter((l) => l.startsWith('close')).length,
    );
  });
});
