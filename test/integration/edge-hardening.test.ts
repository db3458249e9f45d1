/**
 * The API's edge against careless and hostile clients (issue 8, item 11): prototype names are not
 * jurisdictions, internal errors say nothing about Redis or stacks, one procedure per HTTP request
 * (no batching), and slow clients are cut off without blocking anyone else.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

const HEADERS_TIMEOUT_MS = 1_000;
const MAX_CONNECTIONS = 24;

/** Opens a connection that starts a request and never finishes its headers (slowloris). */
function slowloris(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`POST /trpc/inference.complete HTTP/1.1\r\nHost: ${hostname}\r\nX-Slow: 1`);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

/** Resolves with how the server ended the connection (`closed` once the socket is gone). */
function closedBy(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('close', () => resolve(answer.split('\r\n')[0] || 'closed'));
    socket.on('error', () => undefined);
  });
}

describe('API edge', () => {
  const s = uniqueSuffix();
  const tenant = `${s}-eu`;
  let fed: Federation;
  let token: string;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), {
      serverLimits: {
        headersTimeoutMs: HEADERS_TIMEOUT_MS,
        requestTimeoutMs: 2 * HEADERS_TIMEOUT_MS,
        maxConnections: MAX_CONNECTIONS,
      },
    });
    token = await fed.token('tenant', tenant);
  });
  afterAll(async () => fed?.close());

  it('answers UNKNOWN_JURISDICTION, not 500, for residency names of Object.prototype', async () => {
    const before = await fed.ledger.account(tenant);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const complete = await fed.call(
        'inference.complete',
        chat(`proto-${name}`, { residency: [name] }),
        token,
      );
      expect([complete.status, complete.body.error.data.federaCode]).toEqual([400, 'UNKNOWN_JURISDICTION']);
      const explain = await fed.call('routing.explain', { model: TEST_MODEL, residency: [name] }, token, {
        method: 'GET',
      });
      expect([explain.status, explain.body.error.data.federaCode]).toEqual([400, 'UNKNOWN_JURISDICTION']);
    }
    expect(await fed.ledger.account(tenant)).toEqual(before);
  });

  it('never leaks Redis text or a stack in an internal error; gives a correlation id instead', async () => {
    // break the tenant's ledger account: Redis answers WRONGTYPE to the next read
    const broken = `${s}-any`;
    const key = `{t:${broken}}:acct`;
    const saved = await fed.redis.hgetall(key);
    await fed.redis.del(key);
    await fed.redis.set(key, 'not a hash');
    try {
      const res = await fed.call('usage.summary', undefined, await fed.token('tenant', broken), {
        method: 'GET',
      });
      expect(res.status).toBe(500);
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/WRONGTYPE|redis|ioredis|at .*\.ts|stack/i);
      expect(res.body.error.data.federaCode).toBe('INTERNAL');
      expect(res.body.error.data.correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.error.message).toContain(res.body.error.data.correlationId);
    } finally {
      await fed.redis.del(key);
      await fed.redis.hset(key, saved);
    }
  });

  it('refuses batched calls: one procedure per HTTP request', async () => {
    const res = await fetch(
      `${fed.api.url}/trpc/usage.summary,usage.summary?batch=1&input=${encodeURIComponent('{}')}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error?: unknown }[] | { error: unknown };
    expect(Array.isArray(body) ? body.every((b) => b.error) : body.error).toBeTruthy();
  });

  it('cuts off clients that never finish their headers, without blocking others meanwhile', async () => {
    const stalled = await Promise.all(Array.from({ length: 8 }, () => slowloris(fed.api.url)));
    const ends = stalled.map(closedBy);
    // while they stall, others are served
    expect((await fetch(`${fed.api.url}/health`)).status).toBe(200);
    expect((await fed.call('usage.summary', undefined, token, { method: 'GET' })).status).toBe(200);
    // the server cuts every stalled client off (408) after the headers timeout
    for (const end of await Promise.all(ends)) expect(end).toMatch(/^(HTTP\/1\.1 408|closed)/);
  });

  it('closes connections beyond the cap at once, and serves again once they are gone', async () => {
    const stalled = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => slowloris(fed.api.url)));
    const ends = stalled.map(closedBy);
    const extra = await slowloris(fed.api.url).catch(() => null);
    if (extra) expect(await closedBy(extra)).toBe('closed');
    await Promise.all(ends);
    expect((await fetch(`${fed.api.url}/health`)).status).toBe(200);
  });
});
