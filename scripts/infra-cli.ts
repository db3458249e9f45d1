/** `npm run infra:up` / `infra:down`: the dev profile's Temporal and Redis, in the background. */
import { PROFILES, ensureRedis, ensureTemporal, stopDetached } from './infra';
import { secretsDir } from './secrets';

const [command = 'up', profileName = 'dev'] = process.argv.slice(2);
const profile = PROFILES[profileName as keyof typeof PROFILES];
if (!profile) {
  console.error(`unknown profile '${profileName}'; one of ${Object.keys(PROFILES).join(', ')}`);
  process.exit(2);
}
try {
  if (command === 'up') {
    const [t, r] = await Promise.all([
      ensureTemporal(profile, { detached: true }),
      ensureRedis(profile, { detached: true }),
    ]);
    // the Redis address carries a password: print where it is kept, not the address itself
    console.log(
      `temporal ${t.address}${t.owned ? '' : ' (already running)'}\n` +
        `redis    127.0.0.1:${profile.redisPort}${r.owned ? '' : ' (already running)'}` +
        (r.note ? `\n  note: ${r.note}` : `\n  credentials: ${secretsDir(profile.name)}/`),
    );
  } else if (command === 'down') {
    const stopped = await stopDetached(profile);
    console.log(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running');
  } else {
    console.error('usage: infra-cli.ts up|down [dev|test|bench]');
    process.exit(2);
  }
} catch (err) {
  console.error(`infra ${command} failed: ${(err as Error).message}`);
  process.exit(1);
}
