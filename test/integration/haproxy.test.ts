/**
 * HAProxy as the stack runs it: requests spread over the replicas, a killed replica costs at most a
 * few failures before every request lands on the survivor, SSE chunks pass through as they are sent,
 * and TCP mode forwards raw connections (Temporal's gRPC). Skipped when haproxy is not installed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haproxyPath } from '../../scripts/bootstrap.mjs';
import { startHaproxy, type Haproxy } from '../../scripts/stack/haproxy';

const installed = haproxyPath() !== null;
if (!installed) console.warn('haproxy tests skipped: haproxy is not installed (bootstrap ensureHaproxy())');

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What the SSE handler waits for before its last chunk: the test says the first one arrived. */
let firstChunkSeen: () => void = () => undefined;

function replica(name: string): Server {
  return createHttpServer((req, res) => {
    if (req.url === '/health') return res.end('ok');
    if (req.url === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`data: first from ${name}\n\n`);
      const seen = new Promise<void>((resolve) => (firstChunkSeen = resolve));
      void seen.then(() => res.end('data: last\n\n'));
      return;
    }
    res.end(name);
  });
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.skipIf(!installed)('haproxy in front of replicas', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fedt-haproxy-'));
  const a = replica('a');
  const b = replica('b');
  // HAProxy's TCP health checks reset their connections: that is not an error of the echo server
  const tcpEcho = createTcpServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  let proxy: Haproxy;
  let base: string;
  let tcpBind: string;

  beforeAll(async () => {
    const [addrA, addrB, addrTcp] = [await listen(a), await listen(b), await listen(tcpEcho)];
    base = `127.0.0.1:${await freePort()}`;
    tcpBind = `127.0.0.1:${await freePort()}`;
    proxy = await startHaproxy({
      dir,
      frontends: [
        {
          name: 'api',
          bind: base,
          mode: 'http',
          healthPath: '/health',
          servers: [
            { name: 'a', address: addrA },
            { name: 'b', address: addrB },
          ],
        },
        { name: 'temporal', bind: tcpBind, mode: 'tcp', servers: [{ name: 't1', address: addrTcp }] },
      ],
    });
  });

  afterAll(async () => {
    await proxy?.stop();
    for (const s of [a, b, tcpEcho]) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs as our own child and spreads requests over both replicas', async () => {
    expect(proxy.pid()).toBeGreaterThan(0);
    const served = new Set<string>();
    for (let i = 0; i < 10; i++) served.add(await (await fetch(`http://${base}/`)).text());
    expect([...served].sort()).toEqual(['a', 'b']);
  });

  it('streams SSE: the first chunk reaches the client before the replica sends the last', async () => {
    const res = await fetch(`http://${base}/sse`);
    const reader = res.body!.getReader();
    const first = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the first SSE chunk was held back by the proxy')), 10_000),
      ),
    ]);
    expect(new TextDecoder().decode(first.value)).toMatch(/^data: first from [ab]/);
    // only now does the replica send its last chunk
    const before = performance.now();
    firstChunkSeen();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    console.log(
      `SSE through haproxy: last chunk ${(performance.now() - before).toFixed(1)} ms after the first`,
    );
    expect(rest).toContain('data: last');
  });

  it('forwards raw TCP (gRPC) connections', async () => {
    const [host, port] = tcpBind.split(':');
    const echoed = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: host!, port: Number(port) }, () => s.write('ping'));
      s.once('data', (d) => {
        resolve(d.toString());
        s.destroy();
      });
      s.once('error', reject);
    });
    expect(echoed).toBe('ping');
  });

  it('a killed replica costs a bounded number of failures, then every request lands on the other', async () => {
    await new Promise<void>((resolve) => {
      a.close(() => resolve());
      a.closeAllConnections();
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`http://${base}/`).catch(() => undefined);
      outcomes.push(res?.ok ? await res.text() : `failed ${res?.status ?? 'connection'}`);
    }
    const failures = outcomes.filter((o) => o.startsWith('failed'));
    console.log(`after killing replica a: ${failures.length} failures in 30 requests`);
    expect(failures.length).toBeLessThanOrEqual(3);
    expect(outcomes.slice(-20)).toEqual(Array(20).fill('b'));
  });

  it('reloads its configuration in place (SIGUSR2 to the master), still serving', async () => {
    const pid = proxy.pid();
    await proxy.reload!();
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`http://${base}/`).catch(() => undefined);
      answers.push(res?.ok ? await res.text() : 'failed');
    }
    expect(answers).toEqual(Array(5).fill('b'));
    expect(proxy.pid()).toBe(pid);
  });

  it('stops, leaving nothing listening', async () => {
    await proxy.stop();
    expect(proxy.pid()).toBeUndefined();
    const [host, port] = base.split(':');
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: host!, port: Number(port) }, () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
