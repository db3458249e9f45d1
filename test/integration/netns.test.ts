/**
 * Site namespaces with a real WAN delay: RTT measured from the root namespace pays 2 × the one-way
 * delay, loss drops packets, a partition blocks connects, reset restores, teardown leaves nothing.
 * Needs root, iproute2, iptables and NFQUEUE; otherwise skipped with the reason printed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachSiteNetwork,
  createSiteNetwork,
  netnsSupport,
  removeSiteNetwork,
  type SiteNetwork,
} from '../../scripts/stack/netns';

const support = netnsSupport();
if (!support.ok) console.warn(`netns tests skipped: ${support.reason}`);

const PREFIX = 'fedt-';
// a /28 at the top of the benchmark range, so it never shadows the stack's own 198.18.0.0/24 routes
const HOST = '198.18.0.241';
const NEAR = { siteId: 'near', address: '198.18.0.242', oneWayDelayMs: 5 };
const FAR = { siteId: 'far', address: '198.18.0.243', oneWayDelayMs: 40 };
const TCP_PORT = 7000;
const UDP_PORT = 7001;

const ECHO = `
const net = require('node:net'), dgram = require('node:dgram');
net.createServer((s) => s.pipe(s)).listen(${TCP_PORT}, '0.0.0.0', () => {
  const u = dgram.createSocket('udp4');
  u.on('message', (m, r) => u.send(m, r.port, r.address));
  u.bind(${UDP_PORT}, '0.0.0.0', () => console.log('listening'));
});`;

/** Milliseconds for one TCP connect (SYN → SYN-ACK: one round trip), or 'timeout'. */
function connectTime(host: string, timeoutMs: number): Promise<number | 'timeout'> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const socket = connect({ host, port: TCP_PORT });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(performance.now() - start);
      socket.destroy();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function connectTimes(host: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = await connectTime(host, 5_000);
    if (t === 'timeout') throw new Error(`connect to ${host} timed out`);
    times.push(t);
  }
  return times.sort((a, b) => a - b);
}

/** Sends `n` numbered UDP probes and counts the echoes back after the last one has had time to return. */
async function udpEchoes(host: string, n: number): Promise<number> {
  const socket = createSocket('udp4');
  const seen = new Set<string>();
  socket.on('message', (m) => seen.add(m.toString()));
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  for (let i = 0; i < n; i++) {
    socket.send(String(i), UDP_PORT, host);
    await sleep(2);
  }
  await sleep(1_000);
  socket.close();
  return seen.size;
}

const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;

describe.skipIf(!support.ok)('site network namespaces with WAN delay', () => {
  let net: SiteNetwork;
  const echoes: ChildProcess[] = [];

  beforeAll(async () => {
    net = await createSiteNetwork({
      prefix: PREFIX,
      hostAddress: HOST,
      prefixLength: 28,
      sites: [NEAR, FAR],
    });
    for (const site of [NEAR, FAR]) {
      const [cmd, ...args] = net.wrap(site.siteId);
      const proc = spawn(cmd!, [...args, process.execPath, '-e', ECHO], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      echoes.push(proc);
      await new Promise<void>((resolve, reject) => {
        proc.stdout.once('data', () => resolve());
        proc.once('exit', (code) => reject(new Error(`echo server in ${site.siteId} exited (${code})`)));
      });
    }
  });

  afterAll(async () => {
    for (const proc of echoes) proc.kill('SIGKILL');
    await net?.teardown();
  });

  it('runs a wrapped command inside the site namespace, as the very process it started', () => {
    expect(net.namespaceOf('near')).toBe('fedt-near');
    // `ip netns exec` execs: the pid we hold is the node process inside the namespace
    const pids = execFileSync('ip', ['netns', 'pids', 'fedt-near'], { encoding: 'utf8' }).split(/\s+/);
    expect(pids).toContain(String(echoes[0]!.pid));
  });

  it('every round trip pays 2 × the one-way delay, farther sites paying more', async () => {
    const near = await connectTimes(NEAR.address, 9);
    const far = await connectTimes(FAR.address, 9);
    console.log(`connect RTT ms: near (5 ms one-way) ${near.map((t) => t.toFixed(1)).join(' ')}`);
    console.log(`connect RTT ms: far (40 ms one-way) ${far.map((t) => t.toFixed(1)).join(' ')}`);
    expect(near[0]).toBeGreaterThanOrEqual(2 * NEAR.oneWayDelayMs);
    expect(far[0]).toBeGreaterThanOrEqual(2 * FAR.oneWayDelayMs);
    expect(median(far)).toBeGreaterThan(median(near));
  });

  it('loses packets at the loss rate, keeps the delay, and reset restores a clean link', async () => {
    await net.setLoss('near', 30);
    const lossy = await udpEchoes(NEAR.address, 100);
    console.log(`UDP echoes with 30 % loss each way: ${lossy}/100`);
    expect(lossy).toBeLessThan(100);
    expect(lossy).toBeGreaterThan(0);
    await net.reset('near');
    expect(await udpEchoes(NEAR.address, 20)).toBe(20);
    expect((await connectTimes(NEAR.address, 3))[0]).toBeGreaterThanOrEqual(2 * NEAR.oneWayDelayMs);
  });

  it('a partition blocks connects until reset; the other site is unaffected', async () => {
    // through a second handle, as a chaos run beside the process that built the network would
    const chaos = await attachSiteNetwork({ prefix: PREFIX, hostAddress: HOST, sites: [FAR] });
    await chaos.setPartition('far', true);
    expect(await connectTime(FAR.address, 1_500)).toBe('timeout');
    expect(typeof (await connectTime(NEAR.address, 5_000))).toBe('number');
    await chaos.reset('far');
    expect(typeof (await connectTime(FAR.address, 5_000))).toBe('number');
  });

  it('reaches other sites over the bridge, routing everything else via the host address', async () => {
    const [cmd, ...args] = net.wrap('near');
    const probe = `require('node:net').connect(${TCP_PORT}, '${FAR.address}', function () { console.log('ok'); this.destroy(); })`;
    // site to site goes over the bridge, paying both sites' delays
    const out = execFileSync(cmd!, [...args, process.execPath, '-e', probe], { encoding: 'utf8' });
    expect(out.trim()).toBe('ok');
    const route = execFileSync(cmd!, [...args, 'ip', 'route', 'show', 'default'], { encoding: 'utf8' });
    expect(route).toContain(`via ${HOST}`);
  });

  it('teardown removes every namespace and link it created, and may run twice', async () => {
    await net.teardown();
    await removeSiteNetwork(PREFIX);
    await expect(attachSiteNetwork({ prefix: PREFIX, hostAddress: HOST, sites: [FAR] })).rejects.toThrow(
      /no namespace fedt-far/,
    );
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(PREFIX);
    expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.toContain(PREFIX);
  });
});
