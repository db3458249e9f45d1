/**
 * What Linux's /proc says about a process: its CPU time (/proc/<pid>/stat) and which process
 * listens on a TCP port (/proc/net/tcp{,6} → socket inode → /proc/<pid>/fd). Port owners are how
 * the bench finds Temporal and Redis, whether it started them or reused them, without matching
 * process names that other profiles' servers share.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** utime + stime of /proc/<pid>/stat, in clock ticks (threads included) */
export function parseProcStatTicks(stat: string): number {
  // the command name (field 2) is in parentheses and may itself hold spaces or ')': fields are
  // counted from the last ')'
  const end = stat.lastIndexOf(')');
  if (end < 0) throw new Error('not a /proc/<pid>/stat line');
  const fields = stat
    .slice(end + 2)
    .trim()
    .split(/\s+/);
  // after the name: state(3) ppid(4) … utime(14) stime(15) → indexes 11 and 12 here
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error('no utime/stime in /proc/<pid>/stat');
  return utime + stime;
}

/** socket inodes listening on `port` in a /proc/net/tcp or tcp6 table */
export function listeningInodes(table: string, port: number): number[] {
  const LISTEN = '0A';
  const inodes: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (f.length < 10) continue;
    const localPort = parseInt(f[1]!.split(':')[1] ?? '', 16);
    if (localPort === port && f[3] === LISTEN) inodes.push(Number(f[9]));
  }
  return inodes.filter((i) => i > 0);
}

let ticksPerSecond: number | undefined;
/** USER_HZ: 100 on every common Linux build, asked of getconf once to be sure */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU milliseconds the process has used so far, or undefined when it is gone */
export function cpuMs(pid: number): number | undefined {
  try {
    return (parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) * 1000) / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}

/** The pid listening on 127.0.0.1/[::]:port, found through its socket inode; undefined if none is visible. */
export function portOwner(port: number): number | undefined {
  const inodes = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const inode of listeningInodes(readFileSync(table, 'utf8'), port)) inodes.add(inode);
    } catch {
      // no IPv6 table on this host
    }
  }
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** something listens on the TCP port (any user's process) */
export function isListening(port: number): boolean {
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      if (listeningInodes(readFileSync(table, 'utf8'), port).length > 0) return true;
    } catch {
      // no IPv6 table on this host
    }
  }
  return false;
}
