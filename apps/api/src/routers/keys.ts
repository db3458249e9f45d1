/**
 * API keys, managed by their tenant: create (the secret is in this answer only), list (never a
 * secret or its hash, with each key's spend in the current period) and revoke. Only a tenant
 * session (a JWT) manages keys: a request made with an API key may not create, list or revoke them,
 * so a leaked key cannot mint itself successors. Every change is audited, without the secret.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { expandJurisdictions, FederaError, modelIdSchema, type TopologyIndex } from '@federa/domain';
import type { ApiKeyInfo, ApiKeyLimits } from '@federa/auth';
import { apiKeysOf } from '../authenticate';
import { router, tenantProcedure } from '../trpc';

const keyIdSchema = z.string().regex(/^key_[A-Za-z0-9_-]{1,60}$/, 'invalid key id');

export const keyCreateInputSchema = z.object({
  name: z.string().trim().min(1).max(64),
  /** country codes or groups, within the tenant's residency */
  residency: z.array(z.string().min(2).max(32)).min(1).max(300).optional(),
  models: z.array(modelIdSchema).min(1).max(100).optional(),
  /** ISO 8601 instant, in the future */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  /** minor units per billing period */
  budget: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  tokensPerMinute: z.number().int().min(1).max(1_000_000_000).optional(),
});
export type KeyCreateInput = z.infer<typeof keyCreateInputSchema>;

/** Key management needs a tenant session, not a key. */
const keyAdminProcedure = tenantProcedure.use(({ ctx, next }) => {
  if (ctx.principal.apiKey)
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'API keys are managed with a tenant session (JWT), not with an API key',
    });
  return next();
});

export const keysRouter = router({
  create: keyAdminProcedure.input(keyCreateInputSchema).mutation(async ({ ctx, input }) => {
    const limits = checkedLimits(ctx.topology, ctx.tenant.residency, input);
    const { store } = apiKeysOf(ctx.deps);
    const { key, secret } = await store.create(ctx.tenant.id, { name: input.name, limits });
    await ctx.deps.audit.append(ctx.principal, 'keys.create', `tenant:${ctx.tenant.id}/${key.id}`, null, key);
    ctx.deps.log.info({ tenantId: ctx.tenant.id, apiKeyId: key.id }, 'api key created');
    return { ...key, secret };
  }),

  list: keyAdminProcedure.query(async ({ ctx }) => {
    const keys = await apiKeysOf(ctx.deps).store.list(ctx.tenant.id);
    return {
      keys: await Promise.all(
        keys.map(async (k) => ({ ...k, usage: await ctx.deps.ledger.keyAccount(ctx.tenant.id, k.id) })),
      ),
    };
  }),

  revoke: keyAdminProcedure.input(z.object({ id: keyIdSchema })).mutation(async ({ ctx, input }) => {
    const authenticator = apiKeysOf(ctx.deps);
    const result = await authenticator.store.revoke(ctx.tenant.id, input.id);
    // another tenant's key is not found either: ids say nothing about other tenants
    if (!result) throw new FederaError('NOT_FOUND', `no API key '${input.id}'`);
    authenticator.forget(result.hash);
    if (!result.already) {
      const before: ApiKeyInfo = { ...result.key, revokedAt: null };
      await ctx.deps.audit.append(
        ctx.principal,
        'keys.revoke',
        `tenant:${ctx.tenant.id}/${input.id}`,
        before,
        result.key,
      );
      ctx.deps.log.info({ tenantId: ctx.tenant.id, apiKeyId: input.id }, 'api key revoked');
    }
    return result.key;
  }),
});

/** A key's limits, checked against the tenant and the federation; residency stored as countries. */
function checkedLimits(
  topology: TopologyIndex,
  tenantResidency: readonly string[],
  input: KeyCreateInput,
): ApiKeyLimits {
  let residency: string[] | undefined;
  if (input.residency) {
    const tenantCountries = expandJurisdictions(tenantResidency, topology.groups);
    const keyCountries = [...expandJurisdictions(input.residency, topology.groups)].sort();
    const outside = keyCountries.filter((c) => !tenantCountries.has(c));
    if (outside.length > 0)
      throw new FederaError(
        'RESIDENCY_VIOLATION',
        `the key's residency widens the tenant's policy with ${outside.join(', ')}`,
      );
    residency = keyCountries;
  }
  const unknown = input.models?.filter((m) => !topology.hasModel(m)) ?? [];
  if (unknown.length > 0) throw new FederaError('UNKNOWN_MODEL', `no site serves model '${unknown[0]}'`);
  if (input.expiresAt && Date.parse(input.expiresAt) <= Date.now())
    throw new FederaError('VALIDATION_FAILED', 'expiresAt must be in the future');
  return {
    ...(residency ? { residency } : {}),
    ...(input.models ? { models: [...new Set(input.models)] } : {}),
    ...(input.expiresAt ? { expiresAt: new Date(input.expiresAt).toISOString() } : {}),
    ...(input.budget !== undefined ? { budget: input.budget } : {}),
    ...(input.tokensPerMinute !== undefined ? { tokensPerMinute: input.tokensPerMinute } : {}),
  };
}
