import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cpuMs, isListening, listeningInodes, parseProcStatTicks, portOwner } from './proc';

describe('/proc/<pid>/stat', () => {
  it('sums utime and stime, counting fields from the last parenthesis of the command name', () => {
    // comm may hold spaces and parentheses; utime = 1234, stime = 56
    const stat =
      '4242 (node (my) app) S 1 4242 4242 0 -1 4194560 1500 0 3 0 1234 56 7 8 20 0 11 0 9999 123456 789 ' +
      '18446744073709551615 1 1 0 0 0 0 0 16781312 134235650 0 0 0 17 1 0 0 0 0 0';
    expect(parseProcStatTicks(stat)).toBe(1290);
  });

  it('refuses a line that is not a stat line', () => {
    expect(() => parseProcStatTicks('garbage')).toThrow(/stat/);
  });

  it('reads this process’s own CPU time, which only grows', () => {
    const before = cpuMs(process.pid)!;
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += Math.sqrt(i);
    expect(x).toBeGreaterThan(0);
    expect(before).toBeGreaterThanOrEqual(0);
    expect(cpuMs(process.pid)!).toBeGreaterThanOrEqual(before);
  });
});

describe('/proc/net/tcp', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1C55 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000 100 0 0 10 0',
    '   1: 0100007F:1C55 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 31338 1 0000 20 4 30 10 -1',
    '   2: 0100007F:18F8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000 100 0 0 10 0',
  ].join('\n');

  it('finds the socket listening on a port (7253 = 0x1C55), not its established connections', () => {
    expect(listeningInodes(table, 7253)).toEqual([31337]);
    expect(listeningInodes(table, 6392)).toEqual([4242]);
    expect(listeningInodes(table, 8787)).toEqual([]);
  });

  it('names the process that owns a listening port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(isListening(port)).toBe(true);
      expect(portOwner(port)).toBe(process.pid);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(isListening(port)).toBe(false);
    expect(portOwner(port)).toBeUndefined();
  });
});
