import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseTopology, type Topology } from '@federa/domain';

const env = z.object({
  FEDERA_TOPOLOGY: z.string().default('deploy/dev/topology.json'),
  FEDERA_EMULATOR_HOST: z.string().default('127.0.0.1'),
  /**
   * bearer token for the emulators' /_emulator/* control endpoints (npm start generates one under
   * .data/dev/secrets/); absent = a random token nobody knows, so the endpoints stay closed
   */
  FEDERA_EMULATOR_CONTROL_TOKEN: z.string().min(16).optional(),
});

export interface EmulatorConfig {
  readonly topology: Topology;
  readonly host: string;
  readonly controlToken: string | undefined;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): EmulatorConfig {
  const e = env.parse(source);
  return {
    topology: parseTopology(JSON.parse(readFileSync(e.FEDERA_TOPOLOGY, 'utf8'))),
    host: e.FEDERA_EMULATOR_HOST,
    controlToken: e.FEDERA_EMULATOR_CONTROL_TOKEN,
  };
}
