/**
 * One network namespace per site, joined to the root namespace by a bridge, with a real WAN delay on
 * its link, so latency-aware routing is measured on network time rather than on a sleep.
 *
 * Layout (prefix `fed-` for the stack, `fedt-` in tests):
 *   root ns:  bridge `<prefix>br0` (hostAddress/prefixLength) ── veth `<prefix>v<hash6>` (one per site)
 *   site ns:  `<prefix><siteId>` with `lo` up and `wan0` (the veth's peer, site address), default
 *             route via hostAddress; iptables (filter table) there:
 *               INPUT  -i wan0 → FEDERA_WAN_IN  = [DROP if partitioned] [random DROP at the loss rate] NFQUEUE 0
 *               OUTPUT -o wan0 → FEDERA_WAN_OUT = [DROP if partitioned] [random DROP at the loss rate]
 *   A small daemon inside the namespace (link-delay.py) holds every packet of queue 0 for
 *   2 × oneWayDelayMs before accepting it: RTT = 2 × oneWayDelayMs, as asked.
 *
 * Why the whole round trip is paid on the way in: a packet held on its way OUT is still charged to
 * its sending socket, and TCP small queues then lets a socket have only ~2 packets in the host at a
 * time — measured: 10 MB took 11 s through a 5 ms outbound hold (0.1 s without). netem avoids that
 * by orphaning the packets it holds; NFQUEUE cannot. Inbound packets crossed the veth already
 * (orphaned there), so holding them throttles nobody. Round trips, which are what routing measures,
 * are exact; one-way times are not split evenly (nothing in Federa measures one-way time).
 *
 * Why not `tc netem`: it needs sch_netem, which kernels built without it (this machine's) cannot load;
 * NFQUEUE is in nearly every kernel and delays the same packets at the same place. Only namespaces,
 * links and rules carrying the prefix are ever created or removed; other interfaces are never touched.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const DELAY_DAEMON = join(import.meta.dirname, 'link-delay.py');
const WAN = 'wan0';
const CHAIN_IN = 'FEDERA_WAN_IN';
const CHAIN_OUT = 'FEDERA_WAN_OUT';

export interface SiteLink {
  readonly siteId: string;
  /** e.g. 198.18.0.11 (inside the namespace) */
  readonly address: string;
  /** RTT = 2 × oneWayDelayMs (Frankfurt–Paris 10 ms RTT → 5); all of it is held inbound, see above */
  readonly oneWayDelayMs: number;
  /** uniform ± jitter on each packet's hold (so on the RTT); packets are never reordered */
  readonly jitterMs?: number;
}

export interface SiteNetworkOptions {
  /** name prefix: 'fed-' for the stack, 'fedt-' in tests (namespaces, veths, bridge); at most 8 characters */
  readonly prefix: string;
  /** 198.18.0.1: the bridge's address in the root namespace (Temporal/Redis/API reachable there) */
  readonly hostAddress: string;
  /** the bridge subnet's prefix length (default 24); tests use a /28 so they never shadow the stack's /24 */
  readonly prefixLength?: number;
  readonly sites: readonly SiteLink[];
}

export interface SiteNetwork {
  readonly hostAddress: string;
  namespaceOf(siteId: string): string;
  /** argv prefix that runs a command inside the site's namespace: ['ip','netns','exec',ns] */
  wrap(siteId: string): readonly string[];
  /** random loss on both directions (iptables `statistic`), delay kept; 0 removes it */
  setLoss(siteId: string, percent: number): Promise<void>;
  /**
   * Drops every packet both ways while the link stays up: connections stall and retransmit as over a
   * real cut, instead of failing fast with "network unreachable" as a downed link would inside the site.
   */
  setPartition(siteId: string, partitioned: boolean): Promise<void>;
  /** back to plain delay */
  reset(siteId: string): Promise<void>;
  /** removes everything with the prefix (namespaces, the processes left in them, links); idempotent */
  teardown(): Promise<void>;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, cmd)));
}

/** Whether this machine can build site namespaces; the reason says what is missing when not. */
export function netnsSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'network namespaces need root (ip netns, iptables)' };
  for (const cmd of ['ip', 'iptables-restore', 'python3'])
    if (!onPath(cmd))
      return { ok: false, reason: `\`${cmd}\` is not on PATH (apt-get install iproute2 iptables python3)` };
  if (!existsSync('/proc/net/netfilter/nfnetlink_queue'))
    return { ok: false, reason: 'the kernel has no NFQUEUE (nfnetlink_queue), which the WAN delay needs' };
  return { ok: true };
}

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 6);

async function ip(...args: string[]): Promise<string> {
  return (await exec('ip', args)).stdout;
}

/** Runs one iptables-restore inside a namespace with `rules` on stdin. */
function iptablesRestore(ns: string, rules: string, noflush: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['netns', 'exec', ns, 'iptables-restore', ...(noflush ? ['--noflush'] : [])];
    const proc = spawn('ip', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`iptables-restore in ${ns} failed: ${err.trim()}`)),
    );
    proc.stdin.end(rules);
  });
}

/** Kills what still runs in the prefix's namespaces, then removes them and the prefix's links. */
async function removeAll(prefix: string): Promise<void> {
  const namespaces = (await ip('netns', 'list'))
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
  for (const ns of namespaces) {
    const pids = (await ip('netns', 'pids', ns).catch(() => '')).split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await ip('netns', 'del', ns).catch(() => undefined);
  }
  const links = (await ip('-o', 'link', 'show'))
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith(prefix));
  for (const link of links) await ip('link', 'del', link).catch(() => undefined);
}

/** Starts the delay daemon in `ns` and resolves once it listens on the queue. */
function startDelay(ns: string, link: SiteLink): Promise<void> {
  const log = openSync(join(tmpdir(), `${ns}-link-delay.log`), 'a');
  const args = ['netns', 'exec', ns, 'python3', DELAY_DAEMON, '0', String(2 * link.oneWayDelayMs)];
  const proc = spawn('ip', [...args, String(link.jitterMs ?? 0)], {
    detached: true,
    stdio: ['ignore', 'pipe', log],
  });
  closeSync(log);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`link delay in ${ns} did not start`)), 10_000);
    proc.once('exit', (code) => reject(new Error(`link delay in ${ns} exited (${code}), see ${tmpdir()}`)));
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes('ready\n')) return;
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      proc.stdout?.destroy();
      // it outlives this process (a stack brought up by one command, torn down by another)
      proc.unref();
      resolve();
    });
  });
}

interface LinkState {
  lossPercent: number;
  partitioned: boolean;
}

function wanChains(link: SiteLink, state: LinkState): string {
  const rules: string[] = [];
  for (const chain of [CHAIN_IN, CHAIN_OUT]) {
    rules.push(`:${chain} - [0:0]`);
    if (state.partitioned) rules.push(`-A ${chain} -j DROP`);
    if (state.lossPercent > 0) {
      const p = (state.lossPercent / 100).toFixed(4);
      rules.push(`-A ${chain} -m statistic --mode random --probability ${p} -j DROP`);
    }
  }
  if (link.oneWayDelayMs > 0) rules.push(`-A ${CHAIN_IN} -j NFQUEUE --queue-num 0`);
  return ['*filter', ...rules, 'COMMIT', ''].join('\n');
}

const IPV4 = /^198\.18\.0\.(\d{1,3})$/;

function validate(opts: SiteNetworkOptions): void {
  if (!/^[a-z][a-z0-9-]{0,7}$/.test(opts.prefix))
    throw new Error(`prefix "${opts.prefix}": 1-8 characters, a-z, 0-9 and "-"`);
  for (const address of [opts.hostAddress, ...opts.sites.map((s) => s.address)]) {
    const m = IPV4.exec(address);
    if (!m || Number(m[1]) > 254) throw new Error(`${address}: site networks use 198.18.0.0/24 only`);
  }
  for (const site of opts.sites) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/.test(site.siteId))
      throw new Error(`site id "${site.siteId}" cannot name a namespace`);
    if (!(site.oneWayDelayMs >= 0) || !((site.jitterMs ?? 0) >= 0))
      throw new Error(`site ${site.siteId}: delays are non-negative milliseconds`);
  }
}

const namespaceName = (prefix: string, siteId: string) => `${prefix}${siteId}`;

/** Builds the network (after removing stale leftovers of the same prefix) and returns its handle. */
export async function createSiteNetwork(opts: SiteNetworkOptions): Promise<SiteNetwork> {
  validate(opts);
  const support = netnsSupport();
  if (!support.ok) throw new Error(`site namespaces unavailable: ${support.reason}`);
  const { prefix, hostAddress } = opts;
  const len = opts.prefixLength ?? 24;
  const bridge = `${prefix}br0`;
  await removeAll(prefix);
  try {
    await ip('link', 'add', bridge, 'type', 'bridge');
    await ip('addr', 'add', `${hostAddress}/${len}`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    for (const link of opts.sites) {
      const ns = namespaceName(prefix, link.siteId);
      const veth = `${prefix}v${shortHash(link.siteId)}`;
      await ip('netns', 'add', ns);
      await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', WAN, 'netns', ns);
      await ip('link', 'set', veth, 'master', bridge, 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('-n', ns, 'addr', 'add', `${link.address}/${len}`, 'dev', WAN);
      await ip('-n', ns, 'link', 'set', WAN, 'up');
      await ip('-n', ns, 'route', 'add', 'default', 'via', hostAddress);
      // the daemon listens before any packet is queued to it
      if (link.oneWayDelayMs > 0) await startDelay(ns, link);
      const hooks = [`-A INPUT -i ${WAN} -j ${CHAIN_IN}`, `-A OUTPUT -o ${WAN} -j ${CHAIN_OUT}`];
      const rules = wanChains(link, { lossPercent: 0, partitioned: false });
      await iptablesRestore(ns, rules.replace('COMMIT', [...hooks, 'COMMIT'].join('\n')), false);
    }
  } catch (err) {
    await removeAll(prefix);
    throw err;
  }
  return handle(opts);
}

/**
 * A handle on a network another process created (a chaos run next to `stack up`): changes nothing
 * until asked; it assumes every link clean, so its first setLoss/setPartition states the whole link.
 */
export async function attachSiteNetwork(opts: SiteNetworkOptions): Promise<SiteNetwork> {
  validate(opts);
  const existing = await ip('netns', 'list');
  for (const link of opts.sites) {
    const ns = namespaceName(opts.prefix, link.siteId);
    if (!existing.split('\n').some((line) => line.split(' ')[0] === ns))
      throw new Error(`no namespace ${ns}: is the site network up?`);
  }
  return handle(opts);
}

/** Removes every namespace (and what runs in it) and link with this prefix; idempotent. */
export function removeSiteNetwork(prefix: string): Promise<void> {
  if (!/^[a-z][a-z0-9-]{0,7}$/.test(prefix))
    throw new Error(`prefix "${prefix}" is not a site network prefix`);
  return removeAll(prefix);
}

function handle(opts: SiteNetworkOptions): SiteNetwork {
  const links = new Map(opts.sites.map((s) => [s.siteId, s]));
  const states = new Map(opts.sites.map((s) => [s.siteId, { lossPercent: 0, partitioned: false }]));
  const nsOf = (siteId: string) => {
    if (!links.has(siteId)) throw new Error(`no site ${siteId} in this network`);
    return namespaceName(opts.prefix, siteId);
  };
  const apply = async (siteId: string, change: Partial<LinkState>) => {
    const ns = nsOf(siteId);
    const state = states.get(siteId)!;
    Object.assign(state, change);
    await iptablesRestore(ns, wanChains(links.get(siteId)!, state), true);
  };
  return {
    hostAddress: opts.hostAddress,
    namespaceOf: nsOf,
    wrap: (siteId) => ['ip', 'netns', 'exec', nsOf(siteId)],
    setLoss: async (siteId, percent) => {
      if (!(percent >= 0 && percent <= 100)) throw new Error(`loss ${percent}%: 0 to 100`);
      await apply(siteId, { lossPercent: percent });
    },
    setPartition: (siteId, partitioned) => apply(siteId, { partitioned }),
    reset: (siteId) => apply(siteId, { lossPercent: 0, partitioned: false }),
    teardown: () => removeAll(opts.prefix),
  };
}
