import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

// deploy/dev/topology.json: seven sites, each with an emulator profile
describe('site emulator config: FEDERA_EMULATOR_SITES', () => {
  it('emulates every site with an emulator profile by default', () => {
    expect(loadConfig({}).sites.map((s) => s.id)).toEqual([
      'rhein-fra',
      'rhein-ber',
      'lumiere-par',
      'lumiere-mrs',
      'nordlink-sto',
      'pacific-ash',
      'pacific-tyo',
    ]);
  });

  it('emulates only the listed sites, for one process per site namespace', () => {
    const config = loadConfig({ FEDERA_EMULATOR_SITES: 'lumiere-par', FEDERA_EMULATOR_HOST: '198.18.0.12' });
    expect(config.sites.map((s) => s.id)).toEqual(['lumiere-par']);
    expect(config.host).toBe('198.18.0.12');
    expect(loadConfig({ FEDERA_EMULATOR_SITES: ' pacific-tyo, rhein-fra ' }).sites.map((s) => s.id)).toEqual([
      'rhein-fra',
      'pacific-tyo',
    ]);
  });

  it('refuses an unknown site or an empty list instead of starting nothing', () => {
    expect(() => loadConfig({ FEDERA_EMULATOR_SITES: 'rhein-fra,atlantis' })).toThrow(/atlantis/);
    expect(() => loadConfig({ FEDERA_EMULATOR_SITES: ',' })).toThrow(/no site listed/);
  });
});
