/**
 * The federation's topology: operators, their sites, tenants and prices. In dev it is seeded from a
 * checked-in JSON file; the schema here is the one source of truth for its shape.
 */
import { z } from 'zod';
import { BUILTIN_GROUPS, expandJurisdictions, isCountryCode, type JurisdictionGroups } from './jurisdictions';
import { FederaError } from './errors';
import { endpointPatternSchema } from './endpoints';
import {
  agreementHistory,
  agreementInForce,
  agreementSchema,
  agreementStartMs,
  pairKey,
  type Agreement,
} from './agreements';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'ids are lower-case letters, digits and dashes');
const countryCode = z.string().refine(isCountryCode, { message: 'not an ISO 3166-1 alpha-2 country code' });
const minorUnits = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const geoPointSchema = z.object({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});

export const tokenPriceSchema = z.object({ inputPer1M: minorUnits, outputPer1M: minorUnits });

export const modelIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'invalid model id');

export const operatorSchema = z.object({
  id,
  name: z.string().min(1),
  country: countryCode,
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** Per model: retail (this operator → its tenants) and wholesale (this operator → other operators). */
  rateCard: z.record(modelIdSchema, z.object({ retail: tokenPriceSchema, wholesale: tokenPriceSchema })),
  /** where this operator's sites may point (set by admins; empty = no site can be registered) */
  allowedEndpoints: z.array(endpointPatternSchema).max(100).default([]),
});

export const siteStatusSchema = z.enum(['active', 'draining', 'down']);

export const emulatorProfileSchema = z.object({
  port: z.number().int().min(1).max(65535),
  ttftMs: z.number().int().nonnegative().default(20),
  tokensPerSecond: z.number().positive().default(2000),
  errorRate: z.number().min(0).max(1).default(0),
  /** how long an answer runs when max_tokens allows (the emulator's default: 32 tokens) */
  completionTokens: z.number().int().min(1).max(100_000).optional(),
});

export const siteSchema = z.object({
  id,
  operator: id,
  jurisdiction: countryCode,
  city: z.string().min(1),
  location: geoPointSchema,
  endpoint: z.url(),
  status: siteStatusSchema.default('active'),
  models: z.array(z.object({ id: modelIdSchema, capacity: z.number().int().positive() })).min(1),
  /** Only in dev/test topologies: how the local site emulator behaves for this site. */
  emulator: emulatorProfileSchema.optional(),
});

export const tenantSchema = z.object({
  id,
  name: z.string().min(1),
  homeOperator: id,
  /** Country codes and group names; expanded when evaluated. */
  residency: z.array(z.string()).min(1),
  /** Budget per billing period ('period' mode) or prepaid credit ('prepaid'), minor units of the home operator's currency. */
  budget: minorUnits,
  budgetMode: z.enum(['period', 'prepaid']).default('period'),
  /** token-rate limit (input + output tokens per minute); 0 = none */
  tokensPerMinute: z.number().int().nonnegative().default(0),
  /** Where the tenant's clients are, for the latency prior. */
  region: z.string().min(1),
  location: geoPointSchema,
  /**
   * The tenant's class (e.g. 'standard', 'enterprise', 'internal'): how request metrics group
   * tenants (`tenant_class`), so their labels stay bounded by what admins define, never by clients.
   */
  class: id.default('standard'),
});

export const weightsSchema = z
  .object({
    latency: z.number().min(0).max(100),
    load: z.number().min(0).max(100),
    price: z.number().min(0).max(100),
  })
  .refine((w) => w.latency + w.load + w.price > 0, 'at least one weight must be positive');

/**
 * Whether the tenant's home operator's own sites are preferred: never, always (they rank first),
 * or when they are within `marginMs` of the best latency.
 */
export const preferHomeSchema = z.object({
  mode: z.enum(['off', 'always', 'margin']).default('off'),
  marginMs: z.number().min(0).max(10_000).default(0),
});

export const tenantRoutingOverrideSchema = z.object({
  weights: weightsSchema.optional(),
  preferHome: preferHomeSchema.optional(),
  maxFailoverAttempts: z.number().int().min(1).max(10).optional(),
  /** sites this tenant must never be routed to */
  excludedSites: z.array(id).max(1000).default([]),
});

/** What an admin sets; the version is assigned by the registry. */
export const routingPolicyInputSchema = z.object({
  weights: weightsSchema.default({ latency: 0.6, load: 0.2, price: 0.2 }),
  preferHome: preferHomeSchema.default({ mode: 'off', marginMs: 0 }),
  maxFailoverAttempts: z.number().int().min(1).max(10).default(3),
  holdTtlMs: z
    .number()
    .int()
    .min(1000)
    .max(24 * 3600 * 1000)
    .default(10 * 60 * 1000),
  tenantOverrides: z.record(id, tenantRoutingOverrideSchema).default({}),
});

export const routingPolicySchema = routingPolicyInputSchema.extend({
  version: z.number().int().positive().default(1),
});

/** Units of `to` per 1,000,000 units of `from`, in force from `effectiveFrom`. */
export const fxRateSchema = z.object({
  from: z.string().regex(/^[A-Z]{3}$/),
  to: z.string().regex(/^[A-Z]{3}$/),
  rateMicros: z.number().int().positive().max(1e15),
  effectiveFrom: z.iso.datetime(),
  /** where the rate comes from (printed on statements), e.g. a central bank's reference rate */
  source: z.string().min(1).max(100).default('registry'),
});
export type FxRateEntry = z.infer<typeof fxRateSchema>;

/** One version of a model's prices at one operator, in force from `effectiveFrom`. */
export const rateCardEntrySchema = z.object({
  operator: id,
  model: modelIdSchema,
  effectiveFrom: z.iso.datetime(),
  retail: tokenPriceSchema,
  wholesale: tokenPriceSchema,
});

export const topologySchema = z
  .object({
    name: z.string().min(1),
    jurisdictionGroups: z.record(z.string().regex(/^[A-Z][A-Z0-9_-]+$/), z.array(countryCode)).default({}),
    operators: z.array(operatorSchema).min(1),
    sites: z.array(siteSchema).min(1),
    tenants: z.array(tenantSchema).min(1),
    routing: routingPolicySchema.default(routingPolicySchema.parse({})),
    /** effective-dated rate cards beyond the operators' inline ones (which apply from the epoch) */
    rateCards: z.array(rateCardEntrySchema).default([]),
    /** effective-dated exchange rates for settlement */
    fxRates: z.array(fxRateSchema).default([]),
    /** per operator pair: settlement calendar, currency and dispute window (agreements.ts) */
    agreements: z.array(agreementSchema).default([]),
  })
  .superRefine((t, ctx) => {
    const dup = (xs: { id: string }[], what: string) => {
      const seen = new Set<string>();
      for (const x of xs) {
        if (seen.has(x.id)) ctx.addIssue({ code: 'custom', message: `duplicate ${what} id '${x.id}'` });
        seen.add(x.id);
      }
    };
    dup(t.operators, 'operator');
    dup(t.sites, 'site');
    dup(t.tenants, 'tenant');
    const ops = new Map(t.operators.map((o) => [o.id, o]));
    for (const s of t.sites) {
      const op = ops.get(s.operator);
      if (!op) {
        ctx.addIssue({ code: 'custom', message: `site '${s.id}' names unknown operator '${s.operator}'` });
        continue;
      }
      for (const m of s.models) {
        if (
          !Object.hasOwn(op.rateCard, m.id) &&
          !t.rateCards.some((c) => c.operator === op.id && c.model === m.id)
        ) {
          ctx.addIssue({
            code: 'custom',
            message: `site '${s.id}' serves '${m.id}' but '${op.id}' has no price for it`,
          });
        }
      }
    }
    // a pair may have several agreements over time, but only one in force from any instant
    const starts = new Set<string>();
    for (const a of t.agreements) {
      for (const p of a.parties)
        if (!ops.has(p)) ctx.addIssue({ code: 'custom', message: `agreement names unknown operator '${p}'` });
      const key = pairKey(...a.parties);
      const from = agreementStartMs(a);
      if (starts.has(`${key}|${from}`))
        ctx.addIssue({
          code: 'custom',
          message:
            from === -Infinity
              ? `two agreements for the pair ${key} without effectiveFrom (both in force since the beginning)`
              : `two agreements for the pair ${key} in force from the same instant ${new Date(from).toISOString()}`,
        });
      starts.add(`${key}|${from}`);
    }
    const groups = { ...BUILTIN_GROUPS, ...t.jurisdictionGroups };
    for (const tenant of t.tenants) {
      if (!ops.has(tenant.homeOperator)) {
        ctx.addIssue({
          code: 'custom',
          message: `tenant '${tenant.id}' names unknown operator '${tenant.homeOperator}'`,
        });
      }
      try {
        expandJurisdictions(tenant.residency, groups);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `tenant '${tenant.id}': ${(err as Error).message}` });
      }
    }
  });

export type Topology = z.infer<typeof topologySchema>;
export type TopologyInput = z.input<typeof topologySchema>;
export type Operator = z.infer<typeof operatorSchema>;
export type Site = z.infer<typeof siteSchema>;
export type SiteStatus = z.infer<typeof siteStatusSchema>;
export type Tenant = z.infer<typeof tenantSchema>;
export type RoutingPolicy = z.infer<typeof routingPolicySchema>;
export type RoutingPolicyInput = z.input<typeof routingPolicyInputSchema>;
export type TenantRoutingOverride = z.infer<typeof tenantRoutingOverrideSchema>;
export type RateCardEntry = z.infer<typeof rateCardEntrySchema>;
export type TokenPrices = z.infer<typeof tokenPriceSchema>;

/** The policy that applies to one tenant: the federation's, with the tenant's override on top. */
export interface EffectivePolicy {
  readonly version: number;
  readonly weights: RoutingPolicy['weights'];
  readonly preferHome: RoutingPolicy['preferHome'];
  readonly maxFailoverAttempts: number;
  readonly holdTtlMs: number;
  readonly excludedSites: ReadonlySet<string>;
}

export function effectivePolicy(policy: RoutingPolicy, tenantId: string): EffectivePolicy {
  // own keys only: a tenant id such as 'constructor' must not find Object.prototype's members
  const o = Object.hasOwn(policy.tenantOverrides, tenantId) ? policy.tenantOverrides[tenantId] : undefined;
  return {
    version: policy.version,
    weights: o?.weights ?? policy.weights,
    preferHome: o?.preferHome ?? policy.preferHome,
    maxFailoverAttempts: o?.maxFailoverAttempts ?? policy.maxFailoverAttempts,
    holdTtlMs: policy.holdTtlMs,
    excludedSites: new Set(o?.excludedSites ?? []),
  };
}

export const EPOCH = '1970-01-01T00:00:00.000Z';

export type EmulatorProfile = z.infer<typeof emulatorProfileSchema>;

export function parseTopology(raw: unknown): Topology {
  const result = topologySchema.safeParse(raw);
  if (!result.success) {
    throw new FederaError('VALIDATION_FAILED', `invalid topology: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}

export function groupsOf(t: Topology): JurisdictionGroups {
  return { ...BUILTIN_GROUPS, ...t.jurisdictionGroups };
}

/** Read-only lookups over a parsed topology. */
export class TopologyIndex {
  readonly operators: ReadonlyMap<string, Operator>;
  readonly sites: ReadonlyMap<string, Site>;
  readonly tenants: ReadonlyMap<string, Tenant>;
  readonly groups: JurisdictionGroups;
  /** pair key → the pair's agreements, oldest first */
  private readonly agreementsByPair = new Map<string, Agreement[]>();
  /** `${operator}|${model}` → versions, oldest first */
  private readonly cards = new Map<string, { from: number; retail: TokenPrices; wholesale: TokenPrices }[]>();

  constructor(readonly topology: Topology) {
    this.operators = new Map(topology.operators.map((o) => [o.id, o]));
    this.sites = new Map(topology.sites.map((s) => [s.id, s]));
    this.tenants = new Map(topology.tenants.map((t) => [t.id, t]));
    this.groups = groupsOf(topology);
    const add = (
      operator: string,
      model: string,
      from: string,
      retail: TokenPrices,
      wholesale: TokenPrices,
    ) => {
      const key = `${operator}|${model}`;
      const list = this.cards.get(key) ?? [];
      list.push({ from: Date.parse(from), retail, wholesale });
      this.cards.set(key, list);
    };
    for (const o of topology.operators) {
      for (const [model, c] of Object.entries(o.rateCard)) add(o.id, model, EPOCH, c.retail, c.wholesale);
    }
    for (const c of topology.rateCards) add(c.operator, c.model, c.effectiveFrom, c.retail, c.wholesale);
    for (const list of this.cards.values()) list.sort((a, b) => a.from - b.from);
    for (const a of topology.agreements) {
      const key = pairKey(...a.parties);
      this.agreementsByPair.set(key, [...(this.agreementsByPair.get(key) ?? []), a]);
    }
    for (const [key, list] of this.agreementsByPair) this.agreementsByPair.set(key, agreementHistory(list));
  }

  /** The operator's prices for a model in force at `atMs` (the latest version that had started). */
  rateAt(
    operatorId: string,
    model: string,
    atMs: number,
  ): { retail: TokenPrices; wholesale: TokenPrices } | undefined {
    const list = this.cards.get(`${operatorId}|${model}`);
    if (!list) return undefined;
    let found: { retail: TokenPrices; wholesale: TokenPrices } | undefined;
    for (const v of list) if (v.from <= atMs) found = v;
    return found;
  }

  tenant(tenantId: string): Tenant {
    const t = this.tenants.get(tenantId);
    if (!t) throw new FederaError('UNKNOWN_TENANT', `unknown tenant '${tenantId}'`);
    return t;
  }

  operator(operatorId: string): Operator {
    const o = this.operators.get(operatorId);
    if (!o) throw new FederaError('VALIDATION_FAILED', `unknown operator '${operatorId}'`);
    return o;
  }

  site(siteId: string): Site {
    const s = this.sites.get(siteId);
    if (!s) throw new FederaError('VALIDATION_FAILED', `unknown site '${siteId}'`);
    return s;
  }

  /**
   * The agreement between two operators (either order) in force at `atMs` (default: now), or
   * undefined: the federation's defaults apply.
   */
  agreement(a: string, b: string, atMs = Date.now()): Agreement | undefined {
    return agreementInForce(this.agreementsOf(a, b), atMs);
  }

  /** Every agreement of the pair (either order), oldest first: what was, is and will be in force. */
  agreementsOf(a: string, b: string): readonly Agreement[] {
    return this.agreementsByPair.get(pairKey(a, b)) ?? [];
  }

  /** The pairs that have agreements: pair key → their agreements, oldest first. */
  get agreementPairs(): ReadonlyMap<string, readonly Agreement[]> {
    return this.agreementsByPair;
  }

  hasModel(model: string): boolean {
    return this.topology.sites.some((s) => s.models.some((m) => m.id === model));
  }
}
