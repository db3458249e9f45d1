/** Starts one emulated site per selected topology site (FEDERA_EMULATOR_SITES; default: all with an `emulator` profile). */
import { loadConfig } from './config';
import { DEFAULT_EMBEDDING_MODELS, startSiteEmulator, type SiteEmulator } from './emulator';

const config = loadConfig();
const running: SiteEmulator[] = [];
for (const site of config.sites) {
  const { port, ...profile } = site.emulator!;
  const models = site.models.map((m) => m.id);
  running.push(
    await startSiteEmulator({
      siteId: site.id,
      jurisdiction: site.jurisdiction,
      models,
      // the topology does not say which models embed: the emulator's own embedding models, where listed
      embeddingModels: models.filter((m) => DEFAULT_EMBEDDING_MODELS.includes(m)),
      host: config.host,
      port,
      behaviour: profile,
      ...(config.controlToken ? { controlToken: config.controlToken } : {}),
    }),
  );
}
for (const e of running)
  console.log(JSON.stringify({ msg: 'site emulator listening', site: e.siteId, url: e.url }));

const stop = async () => {
  await Promise.all(running.map((e) => e.close()));
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
