import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseTopology, type Topology } from '@federa/domain';

const env = z.object({
  FEDERA_TOPOLOGY: z.string().default('deploy/dev/topology.json'),
  FEDERA_EMULATOR_HOST: z.string().default('127.0.0.1'),
});

export function loadConfig(source: NodeJS.ProcessEnv = process.env): { topology: Topology; host: string } {
  const e = env.parse(source);
  return {
    topology: parseTopology(JSON.parse(readFileSync(e.FEDERA_TOPOLOGY, 'utf8'))),
    host: e.FEDERA_EMULATOR_HOST,
  };
}
