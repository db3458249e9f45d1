/**
 * ProcessGroup for the production-like stack: a child launched under an argv prefix (a site's network
 * namespace where the machine allows it) keeps its own pid, a chaos kill is not an unexpected exit,
 * relaunch starts it again as it was, and a child dying by itself is still reported.
 */
import type { ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessGroup, waitForHttp } from '../../scripts/processes';
import { createSiteNetwork, netnsSupport, type SiteNetwork } from '../../scripts/stack/netns';

const ENTRY = 'test/fixtures/processes/report-and-wait.ts';
const support = netnsSupport();
if (!support.ok) console.warn(`process-group: no namespace, wrapping with env(1) instead: ${support.reason}`);

interface Report {
  pid: number;
  netns: string;
  marker: string;
}

function firstReport(proc: ChildProcess): Promise<Report> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as Report);
    });
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before reporting: ${out}`)));
  });
}

describe('ProcessGroup: wrapped children, chaos kills and relaunches', () => {
  let net: SiteNetwork | undefined;
  const unexpected: { name: string; code: number | string | null }[] = [];
  const group = new ProcessGroup((name, code) => unexpected.push({ name, code }));

  beforeAll(async () => {
    if (support.ok)
      net = await createSiteNetwork({
        // its own prefix and /28: never in the way of the netns test's `fedt-` or the stack's `fed-`
        prefix: 'fedtp-',
        hostAddress: '198.18.0.225',
        prefixLength: 28,
        sites: [{ siteId: 'par', address: '198.18.0.226', oneWayDelayMs: 0 }],
      });
  });

  afterAll(async () => {
    await group.stop();
    await net?.teardown();
  });

  const wrap = () => (net ? net.wrap('par') : ['env', 'WRAPPED=1']);

  it('runs the child under the wrap, with its pid being the node process itself', async () => {
    const proc = group.launch('agent', ENTRY, { MARKER: 'first' }, { echo: false, wrap: wrap() });
    const report = await firstReport(proc);
    expect(report.pid).toBe(proc.pid);
    expect(report.marker).toBe('first');
    if (net) expect(report.netns).not.toBe(readlinkSync('/proc/self/ns/net'));
  });

  it('kill is on purpose (not reported), relaunch starts the same child again', async () => {
    const before = group.processOf('agent')!;
    await group.kill('agent');
    expect(before.signalCode).toBe('SIGKILL');
    expect(() => group.launch('agent', ENTRY, {}, {})).toThrow(/already/);
    const again = group.relaunch('agent');
    const report = await firstReport(again);
    expect(report.pid).toBe(again.pid);
    expect(report.pid).not.toBe(before.pid);
    expect(report.marker).toBe('first');
    expect(group.processOf('agent')).toBe(again);
    expect(() => group.relaunch('agent')).toThrow(/still running/);
    expect(unexpected).toEqual([]);
  });

  it('a child that dies by itself is still an unexpected exit, and can be relaunched', async () => {
    const proc = group.launch('short', ENTRY, { MARKER: 'short', EXIT_AFTER_MS: '200' }, { echo: false });
    await new Promise((resolve) => proc.once('exit', resolve));
    expect(unexpected).toEqual([{ name: 'short', code: 3 }]);
    const again = group.relaunch('short');
    expect((await firstReport(again)).marker).toBe('short');
  });

  it.skipIf(!support.ok)(
    'runs one site emulator inside its namespace (FEDERA_EMULATOR_SITES, FEDERA_EMULATOR_HOST)',
    async () => {
      // deploy/dev/topology.json: lumiere-par listens on 9103 — its own namespace, so never in the way of npm start
      group.launch(
        'sites-par',
        'apps/site-emulator/src/main.ts',
        { FEDERA_EMULATOR_SITES: 'lumiere-par', FEDERA_EMULATOR_HOST: '198.18.0.226' },
        { echo: false, wrap: wrap() },
      );
      await waitForHttp('http://198.18.0.226:9103/health', 30_000);
      const models = (await (await fetch('http://198.18.0.226:9103/v1/models')).json()) as {
        data: unknown[];
      };
      expect(models.data.length).toBeGreaterThan(0);
      // the others of the topology are not emulated by this process
      await expect(fetch('http://198.18.0.226:9101/health')).rejects.toThrow();
      expect(unexpected).not.toContainEqual(expect.objectContaining({ name: 'sites-par' }));
    },
  );
});
