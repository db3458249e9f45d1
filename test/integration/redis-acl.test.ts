/**
 * Redis as the scripts start it: ACL users with generated passwords (default user off, a services'
 * user without dangerous commands, an admin user), bounded memory without eviction, secrets kept
 * 0600 and out of the ACL file, and the reuse rules for a Redis already on the port. The suite runs
 * its own redis-server on a free port: the shared test Redis was started without ACLs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '@federa/ledger';
import { redisServerPath } from '../../scripts/bootstrap.mjs';
import { PROFILES, ROOT, ensureRedis, type Profile, type RunningService } from '../../scripts/infra';
import { ensureRedisCredentials } from '../../scripts/redis-auth';
import { secretsDir } from '../../scripts/secrets';
import { sampleUsageRecord } from '../support/usage-record';

const usage = (t: string, r: string, c: number) => sampleUsageRecord(t, r, c, new Date());

const profile: Profile = {
  ...PROFILES.test,
  name: 'test-redis-acl',
  redisPort: 6397,
  redisMaxMemory: '64mb',
};

function client(url: string): Redis {
  const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false });
  c.on('error', () => undefined);
  return c;
}

describe('Redis started by the scripts', () => {
  let redis: RunningService;
  const opened: Redis[] = [];
  const open = (url: string) => {
    const c = client(url);
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    // a fresh profile each run: new secrets, empty data
    rmSync(join(ROOT, '.data', profile.name), { recursive: true, force: true });
    redis = await ensureRedis(profile);
  });
  afterAll(async () => {
    for (const c of opened) c.disconnect();
    await redis?.stop();
  });

  it('refuses every command from a connection that has not authenticated (default user off)', async () => {
    expect(redis.owned).toBe(true);
    const anonymous = open(`redis://127.0.0.1:${profile.redisPort}`);
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    await expect(anonymous.set('x', '1')).rejects.toThrow(/NOAUTH/);
    await expect(anonymous.call('AUTH', 'default', '')).rejects.toThrow(/WRONGPASS/);
  });

  it('lets the federation user (the address it returns) run the ledger', async () => {
    expect(new URL(redis.address).username).toBe('federa');
    const services = new Redis(redis.address, { maxRetriesPerRequest: 1 });
    opened.push(services);
    const ledger = new Ledger(services);
    await ledger.ensureAccount('acl-tenant', 1_000);
    await ledger.reserve({
      tenantId: 'acl-tenant',
      requestId: 'r1',
      amount: 100,
      expiresAt: Date.now() + 60_000,
    });
    await ledger.post({
      tenantId: 'acl-tenant',
      requestId: 'r1',
      actual: 40,
      record: usage('acl-tenant', 'r1', 40),
    });
    expect(await ledger.account('acl-tenant')).toMatchObject({ posted: 40, pending: 0, available: 960 });
    expect(await ledger.usageCount('acl-tenant')).toBe(1);
  });

  it('denies the federation user dangerous commands', async () => {
    const services = open(redis.address);
    for (const cmd of [['FLUSHALL'], ['KEYS', '*'], ['CONFIG', 'GET', 'maxmemory'], ['ACL', 'LIST']]) {
      await expect(services.call(cmd[0]!, ...cmd.slice(1))).rejects.toThrow(/NOPERM/);
    }
    expect(await services.call('INFO', 'memory')).toMatch(/used_memory:/);
  });

  it('bounds memory and never evicts (seen by the admin user)', async () => {
    const { admin } = ensureRedisCredentials(profile.name);
    const adminClient = open(
      `redis://${admin.user}:${encodeURIComponent(admin.password)}@127.0.0.1:${profile.redisPort}`,
    );
    expect(await adminClient.call('CONFIG', 'GET', 'maxmemory')).toEqual([
      'maxmemory',
      String(64 * 1024 * 1024),
    ]);
    expect(await adminClient.call('CONFIG', 'GET', 'maxmemory-policy')).toEqual([
      'maxmemory-policy',
      'noeviction',
    ]);
  });

  it('keeps the ledger across a restart: the append-only file replays under the ACL users', async () => {
    const before = new Ledger(open(redis.address));
    await before.ensureAccount('acl-restart', 1_000);
    for (const id of ['a', 'b']) {
      await before.reserve({
        tenantId: 'acl-restart',
        requestId: id,
        amount: 100,
        expiresAt: Date.now() + 60_000,
      });
      await before.post({
        tenantId: 'acl-restart',
        requestId: id,
        actual: 30,
        record: usage('acl-restart', id, 30),
      });
    }
    await redis.stop(); // SIGTERM: Redis flushes its AOF and exits
    redis = await ensureRedis(profile);
    expect(redis.owned).toBe(true);
    const after = new Ledger(open(redis.address));
    expect(await after.account('acl-restart')).toMatchObject({ posted: 60, pending: 0, available: 940 });
    expect(await after.usageCount('acl-restart')).toBe(2);
  });

  it('keeps secrets in 0600 files of a 0700 directory, and no password in the ACL file', () => {
    const dir = secretsDir(profile.name);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toEqual(
      expect.arrayContaining(['redis-federa-password', 'redis-admin-password', 'redis-users.acl']),
    );
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    const { service, admin } = ensureRedisCredentials(profile.name);
    const acl = readFileSync(join(dir, 'redis-users.acl'), 'utf8');
    expect(acl).not.toContain(service.password);
    expect(acl).not.toContain(admin.password);
    expect(acl).toMatch(/^user default off/m);
  });

  it('reuses its own Redis on the port with the same credentials', async () => {
    const again = await ensureRedis(profile);
    expect(again).toMatchObject({ owned: false, address: redis.address });
    expect(again.note).toBeUndefined();
  });

  it('refuses, with an explanation, a Redis on the port that does not know this profile’s users', async () => {
    const stranger: Profile = { ...profile, name: 'test-redis-acl-stranger' };
    try {
      await expect(ensureRedis(stranger)).rejects.toThrow(
        /requires a password and refuses the 'federa' user/,
      );
    } finally {
      rmSync(join(ROOT, '.data', stranger.name), { recursive: true, force: true });
    }
  });
});

describe('a Redis already running without ACLs', () => {
  const port = 6398;
  let server: ChildProcess;

  beforeAll(async () => {
    server = spawn(
      redisServerPath()!,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const probe = client(`redis://127.0.0.1:${port}`);
    for (let i = 0; i < 100; i++) {
      if (await probe.ping().catch(() => null)) break;
      await sleep(100);
    }
    probe.disconnect();
  });
  afterAll(() => {
    server?.kill('SIGTERM');
    rmSync(join(ROOT, '.data', 'test-redis-open'), { recursive: true, force: true });
  });

  it('is reused as is, with a note that says it has no ACL users', async () => {
    const reused = await ensureRedis({ ...profile, name: 'test-redis-open', redisPort: port });
    expect(reused.owned).toBe(false);
    expect(reused.address).toBe(`redis://127.0.0.1:${port}`);
    expect(reused.note).toMatch(/runs without ACL users/);
  });
});
