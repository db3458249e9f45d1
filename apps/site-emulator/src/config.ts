import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseTopology, type Site, type Topology } from '@federa/domain';

const env = z.object({
  FEDERA_TOPOLOGY: z.string().default('deploy/dev/topology.json'),
  FEDERA_EMULATOR_HOST: z.string().default('127.0.0.1'),
  /**
   * which sites this process emulates: "all" (default: every site with an `emulator` profile) or a
   * comma-separated list of site ids, so that one process per site can run inside that site's
   * network namespace (the production-like stack; FEDERA_EMULATOR_HOST = the namespace's address)
   */
  FEDERA_EMULATOR_SITES: z.string().default('all'),
  /**
   * bearer token for the emulators' /_emulator/* control endpoints (npm start generates one under
   * .data/dev/secrets/); absent = a random token nobody knows, so the endpoints stay closed
   */
  FEDERA_EMULATOR_CONTROL_TOKEN: z.string().min(16).optional(),
});

export interface EmulatorConfig {
  readonly topology: Topology;
  readonly host: string;
  /** the sites to emulate, in topology order; each has an `emulator` profile */
  readonly sites: readonly Site[];
  readonly controlToken: string | undefined;
}

/** The sites FEDERA_EMULATOR_SITES selects; a listed id that is unknown or has no emulator profile is an error. */
export function selectEmulatedSites(topology: Topology, spec: string): Site[] {
  const emulated = topology.sites.filter((s) => s.emulator);
  if (spec.trim() === 'all') return emulated;
  const wanted = new Set(
    spec
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean),
  );
  if (wanted.size === 0) throw new Error('FEDERA_EMULATOR_SITES: no site listed (use "all" or site ids)');
  for (const id of wanted)
    if (!emulated.some((s) => s.id === id))
      throw new Error(`FEDERA_EMULATOR_SITES: ${id} is not a site with an emulator profile in the topology`);
  return emulated.filter((s) => wanted.has(s.id));
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): EmulatorConfig {
  const e = env.parse(source);
  const topology = parseTopology(JSON.parse(readFileSync(e.FEDERA_TOPOLOGY, 'utf8')));
  return {
    topology,
    host: e.FEDERA_EMULATOR_HOST,
    sites: selectEmulatedSites(topology, e.FEDERA_EMULATOR_SITES),
    controlToken: e.FEDERA_EMULATOR_CONTROL_TOKEN,
  };
}
