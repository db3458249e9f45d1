import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleHandler } from './static';

let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'federa-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}');
  // a file beside the build that must never be reachable through it
  writeFileSync(join(dir, '..', 'federa-console-secret.txt'), 'secret');
  const handler = createConsoleHandler(dir)!;
  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(dir, '..', 'federa-console-secret.txt'), { force: true });
});

describe('the console static handler', () => {
  it('is absent when the directory holds no build', () => {
    expect(createConsoleHandler(join(dir, 'nope'))).toBeUndefined();
    expect(createConsoleHandler(join(dir, 'assets'))).toBeUndefined();
  });

  it('serves hashed assets with their type, cached for good', async () => {
    const js = await fetch(`${base}/console/assets/index-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toBe('console.log(1)');
    const css = await fetch(`${base}/console/assets/index-abc123.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers every other path with index.html, never cached, with the security headers', async () => {
    for (const path of ['/console/', '/console/tenant/usage', '/console/index.html']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await res.text()).toContain('id="root"');
    }
  });

  it('never serves a file outside the build, however the path is spelled', async () => {
    for (const path of [
      '/console/../federa-console-secret.txt',
      '/console/..%2ffedera-console-secret.txt',
      '/console/assets/..%2f..%2ffedera-console-secret.txt',
      '/console/%2e%2e/federa-console-secret.txt',
    ]) {
      const res = await fetch(`${base}${path}`);
      expect(await res.text()).not.toContain('secret');
    }
  });

  it('answers a missing asset 404, HEAD without a body, and other methods 405', async () => {
    expect((await fetch(`${base}/console/assets/gone.js`)).status).toBe(404);
    const head = await fetch(`${base}/console/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${base}/console/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
