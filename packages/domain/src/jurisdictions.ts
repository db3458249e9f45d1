/**
 * Jurisdictions are ISO 3166-1 alpha-2 country codes. Named groups (EU, EEA, custom ones from the
 * topology) expand to countries; a residency policy is always evaluated on the expanded set.
 */
import { FederaError } from './errors';

// prettier-ignore
export const ISO_COUNTRIES: ReadonlySet<string> = new Set(
  ('AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
   'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
   'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO ' +
   'JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR ' +
   'MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO ' +
   'RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV ' +
   'TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW').split(' '),
);

// prettier-ignore
const EU = ['AT','BE','BG','HR','CY','CZ','DK','EE','FI','FR','DE','GR','HU','IE','IT','LV','LT','LU','MT','NL','PL','PT','RO','SK','SI','ES','SE'];

/** Groups every deployment knows; a topology may add its own. */
export const BUILTIN_GROUPS: Readonly<Record<string, readonly string[]>> = {
  EU,
  EEA: [...EU, 'IS', 'LI', 'NO'],
  /** every country: a tenant without residency duties */
  ANY: [...ISO_COUNTRIES],
};

export type JurisdictionGroups = Readonly<Record<string, readonly string[]>>;

function ownGroup(groups: JurisdictionGroups, name: string): readonly string[] | undefined {
  return Object.hasOwn(groups, name) ? groups[name] : undefined;
}

export function isCountryCode(code: string): boolean {
  return ISO_COUNTRIES.has(code);
}

/**
 * Expands country codes and group names to a set of country codes. Unknown names are an error,
 * never silently dropped: dropping one would widen or empty a policy without anyone noticing.
 */
export function expandJurisdictions(
  names: readonly string[],
  groups: JurisdictionGroups = BUILTIN_GROUPS,
): Set<string> {
  const out = new Set<string>();
  for (const name of names) {
    if (isCountryCode(name)) {
      out.add(name);
      continue;
    }
    // own properties only: `constructor`, `__proto__` or `toString` are names, not groups
    const members = ownGroup(groups, name) ?? ownGroup(BUILTIN_GROUPS, name);
    if (!members) {
      throw new FederaError('UNKNOWN_JURISDICTION', `unknown jurisdiction or group '${name}'`);
    }
    for (const c of members) out.add(c);
  }
  return out;
}

/**
 * The set a request may be served in: its tenant's policy, optionally narrowed by the request.
 * A request that names any country outside the tenant's policy is refused rather than clipped,
 * so a caller never believes a widening took effect.
 */
export function effectiveResidency(
  tenantPolicy: readonly string[],
  requested: readonly string[] | undefined,
  groups: JurisdictionGroups = BUILTIN_GROUPS,
): Set<string> {
  const allowed = expandJurisdictions(tenantPolicy, groups);
  if (!requested) return allowed;
  if (requested.length === 0) {
    throw new FederaError('VALIDATION_FAILED', 'residency, when given, must name at least one jurisdiction');
  }
  const narrowed = expandJurisdictions(requested, groups);
  const outside = [...narrowed].filter((c) => !allowed.has(c)).sort();
  if (outside.length > 0) {
    throw new FederaError(
      'RESIDENCY_VIOLATION',
      `requested residency widens the tenant's policy with ${outside.join(', ')}`,
    );
  }
  return narrowed;
}
