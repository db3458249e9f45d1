/**
 * Writes deploy/observability/grafana/federa.json from the typed dashboard in ./dashboard/:
 * `npx tsx scripts/observability/build-dashboard.ts` after changing a panel.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { federaDashboard } from './dashboard/federa-dashboard';

export const DASHBOARD_PATH = resolve(import.meta.dirname, '../../deploy/observability/grafana/federa.json');

const options = { ...(await resolveConfig(DASHBOARD_PATH)), filepath: DASHBOARD_PATH };
const json = await format(JSON.stringify(federaDashboard(), null, 2), options);
writeFileSync(DASHBOARD_PATH, json);
console.log(`wrote ${DASHBOARD_PATH}`);
