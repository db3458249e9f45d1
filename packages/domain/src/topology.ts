/**
 * The federation's topology: operators, their sites, tenants and prices. In dev it is seeded from a
 * checked-in JSON file; the schema here is the one source of truth for its shape.
 */
import { z } from 'zod';
import { BUILTIN_GROUPS, expandJurisdictions, isCountryCode, type JurisdictionGroups } from './jurisdictions';
import { FederaError } from './errors';

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
});

export const siteStatusSchema = z.enum(['active', 'draining', 'down']);

export const emulatorProfileSchema = z.object({
  port: z.number().int().min(1).max(65535),
  ttftMs: z.number().int().nonnegative().default(20),
  tokensPerSecond: z.number().positive().default(2000),
  errorRate: z.number().min(0).max(1).default(0),
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
});

export const routingPolicySchema = z.object({
  version: z.number().int().positive().default(1),
  weights: z
    .object({ latency: z.number().min(0), load: z.number().min(0), price: z.number().min(0) })
    .default({ latency: 0.6, load: 0.2, price: 0.2 }),
  maxFailoverAttempts: z.number().int().min(1).max(10).default(3),
  holdTtlMs: z
    .number()
    .int()
    .min(1000)
    .default(10 * 60 * 1000),
});

export const topologySchema = z
  .object({
    name: z.string().min(1),
    jurisdictionGroups: z.record(z.string().regex(/^[A-Z][A-Z0-9_-]+$/), z.array(countryCode)).default({}),
    operators: z.array(operatorSchema).min(1),
    sites: z.array(siteSchema).min(1),
    tenants: z.array(tenantSchema).min(1),
    routing: routingPolicySchema.default(routingPolicySchema.parse({})),
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
        if (!op.rateCard[m.id]) {
          ctx.addIssue({
            code: 'custom',
            message: `site '${s.id}' serves '${m.id}' but '${op.id}' has no price for it`,
          });
        }
      }
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

  constructor(readonly topology: Topology) {
    this.operators = new Map(topology.operators.map((o) => [o.id, o]));
    this.sites = new Map(topology.sites.map((s) => [s.id, s]));
    this.tenants = new Map(topology.tenants.map((t) => [t.id, t]));
    this.groups = groupsOf(topology);
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

  hasModel(model: string): boolean {
    return this.topology.sites.some((s) => s.models.some((m) => m.id === model));
  }
}
