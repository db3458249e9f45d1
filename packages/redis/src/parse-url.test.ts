import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactRedisUrl, RedisUrlError } from './parse-url';

describe('parseRedisUrl', () => {
  it('reads a single node with credentials and a database', () => {
    expect(parseRedisUrl('redis://federa:s%40cret@127.0.0.1:6391/2')).toEqual({
      kind: 'single',
      node: { host: '127.0.0.1', port: 6391 },
      db: 2,
      username: 'federa',
      password: 's@cret',
      tls: false,
    });
  });

  it('reads a single node without credentials or database', () => {
    expect(parseRedisUrl('redis://localhost:6379')).toEqual({
      kind: 'single',
      node: { host: 'localhost', port: 6379 },
      db: 0,
      tls: false,
    });
  });

  it('reads a password without a user name', () => {
    expect(parseRedisUrl('redis://:pw@10.0.0.1:6379')).toMatchObject({ password: 'pw' });
    expect(parseRedisUrl('redis://:pw@10.0.0.1:6379')).not.toHaveProperty('username');
  });

  it('reads cluster seeds, the credentials applying to all', () => {
    expect(parseRedisUrl('redis+cluster://u:p@198.18.0.1:7311,198.18.0.1:7312,[::1]:7313')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '198.18.0.1', port: 7311 },
        { host: '198.18.0.1', port: 7312 },
        { host: '::1', port: 7313 },
      ],
      username: 'u',
      password: 'p',
      tls: false,
    });
  });

  it('reads TLS forms', () => {
    expect(parseRedisUrl('rediss://u:p@redis.example:6380')).toMatchObject({ kind: 'single', tls: true });
    expect(parseRedisUrl('rediss+cluster://u:p@10.0.0.1:6379,10.0.0.2:6379')).toMatchObject({
      kind: 'cluster',
      tls: true,
    });
  });

  it.each([
    ['http://u:topsecret@h:1', 'expected redis[s]://'],
    ['redis://u:topsecret@h', 'is not host:port'],
    ['redis://u:topsecret@h:0', 'out of range'],
    ['redis://u:topsecret@h:1,h:2', 'redis+cluster://'],
    ['redis://u:topsecret@h:1/x', 'not a database number'],
    ['redis+cluster://u:topsecret@h:1/3', 'only database 0'],
    ['redis+cluster://u:topsecret@', 'no host:port'],
    ['redis://u:topsecret@h:1?tls=1', 'query parameters'],
    ['redis://u:%E0%A4%A@h:1', 'percent-encoding'],
  ])('refuses %s with a clear message that hides the password', (url, why) => {
    let error: unknown;
    try {
      parseRedisUrl(url);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RedisUrlError);
    const message = (error as Error).message;
    expect(message).toContain(why);
    expect(message).not.toContain('topsecret');
    expect(message).not.toContain('%E0');
  });
});

describe('redactRedisUrl', () => {
  it('masks the credentials and keeps the hosts', () => {
    expect(redactRedisUrl('redis+cluster://u:p@h:1,h:2')).toBe('redis+cluster://***@h:1,h:2');
    expect(redactRedisUrl('redis://h:1')).toBe('redis://h:1');
  });
});
