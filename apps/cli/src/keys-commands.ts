/**
 * `federa keys create|list|revoke`: a tenant's API keys. They need a tenant session (a JWT: --token
 * or --as tenant:ID, default tenant:acme-eu); an API key cannot manage keys. The secret is printed
 * once, by `create`, and cannot be shown again.
 */
import { UsageError, type Outputs } from './client';
import { show, type Command } from './command';
import { formatTable } from './table';

const DEV_TENANT = 'tenant:acme-eu';

type CreatedKey = Outputs['keys']['create'];
type ListedKey = Outputs['keys']['list']['keys'][number];

function limitsText(limits: ListedKey['limits']): string {
  const parts = [
    limits.residency ? `residency ${limits.residency.join(',')}` : '',
    limits.models ? `models ${limits.models.join(',')}` : '',
    limits.budget !== undefined ? `budget ${limits.budget}` : '',
    limits.tokensPerMinute !== undefined ? `tpm ${limits.tokensPerMinute}` : '',
    limits.expiresAt ? `expires ${limits.expiresAt}` : '',
  ];
  return parts.filter(Boolean).join('; ');
}

export function renderCreatedKey(key: CreatedKey): string {
  return [
    `API key ${key.id} (${key.name}) created.`,
    `secret: ${key.secret}`,
    'Store it now: it is shown only this once. Use it as "Authorization: Bearer <secret>".',
    ...(limitsText(key.limits) ? [`limits: ${limitsText(key.limits)}`] : []),
  ].join('\n');
}

export function renderKeys(keys: readonly ListedKey[]): string {
  return formatTable(
    ['KEY', 'NAME', 'CREATED', 'REVOKED', 'SPENT', 'HELD', 'LIMITS'],
    keys.map((k) => [
      k.id,
      k.name,
      k.createdAt,
      k.revokedAt,
      k.usage ? k.usage.posted + k.usage.overage : null,
      k.usage?.pending,
      limitsText(k.limits),
    ]),
  );
}

export const KEY_COMMANDS: Readonly<Record<string, Command>> = {
  'keys create': {
    usage:
      'keys create --name NAME [--residency FR,DE] [--models M1,M2] [--expires ISO] [--budget N] [--tpm N]   (as a tenant; default --as tenant:acme-eu)',
    as: DEV_TENANT,
    options: {
      name: { type: 'string' },
      residency: { type: 'string' },
      models: { type: 'string' },
      expires: { type: 'string' },
      budget: { type: 'string' },
      tpm: { type: 'string' },
    },
    run: (c, a) => {
      const expires = a.string('expires');
      if (expires !== undefined && !Number.isFinite(Date.parse(expires)))
        throw new UsageError(`--expires must be an ISO date-time, got '${expires}'`);
      const budget = a.integer('budget');
      const tokensPerMinute = a.integer('tpm');
      return show(
        c.keys.create.mutate({
          name: a.required('name'),
          residency: a.list('residency'),
          models: a.list('models'),
          ...(expires !== undefined ? { expiresAt: new Date(expires).toISOString() } : {}),
          ...(budget !== undefined ? { budget } : {}),
          ...(tokensPerMinute !== undefined ? { tokensPerMinute } : {}),
        }),
        renderCreatedKey,
      );
    },
  },
  'keys list': {
    usage: 'keys list   (as a tenant)',
    as: DEV_TENANT,
    run: (c) => show(c.keys.list.query(), (r) => renderKeys(r.keys)),
  },
  'keys revoke': {
    usage: 'keys revoke KEY_ID   (as a tenant)',
    as: DEV_TENANT,
    positionals: ['KEY_ID'],
    run: (c, a) =>
      show(
        c.keys.revoke.mutate({ id: a.positional(0, 'KEY_ID') }),
        (k) => `API key ${k.id} revoked at ${k.revokedAt}.`,
      ),
  },
};
