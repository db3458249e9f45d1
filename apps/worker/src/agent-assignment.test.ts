import { describe, expect, it } from 'vitest';
import { isAssigned, parseAgentAssignment } from './agent-assignment';

const site = (id: string, operator: string, jurisdiction: string) => ({ id, operator, jurisdiction });

describe('FEDERA_SITE_AGENTS', () => {
  const sites = [site('fra', 'rhein', 'DE'), site('par', 'lumiere', 'FR'), site('sto', 'nordlink', 'SE')];
  const hosted = (spec: string) =>
    sites.filter((s) => isAssigned(parseAgentAssignment(spec), s)).map((s) => s.id);

  it('selects every site, none, or sites by id, operator and jurisdiction', () => {
    expect(hosted('all')).toEqual(['fra', 'par', 'sto']);
    expect(hosted('*')).toEqual(['fra', 'par', 'sto']);
    expect(hosted('none')).toEqual([]);
    expect(hosted('')).toEqual([]);
    expect(hosted('par, sto')).toEqual(['par', 'sto']);
    expect(hosted('operator:rhein')).toEqual(['fra']);
    expect(hosted('jurisdiction:se,operator:lumiere')).toEqual(['par', 'sto']);
    // a site that appears later is matched by the same selectors
    expect(isAssigned(parseAgentAssignment('operator:rhein'), site('ber', 'rhein', 'DE'))).toBe(true);
  });

  it('refuses selectors it does not know', () => {
    expect(() => parseAgentAssignment('region:eu')).toThrow(/unknown selector/);
    expect(() => parseAgentAssignment('operator:')).toThrow(/empty selector/);
  });
});
