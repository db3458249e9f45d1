/**
 * The API commands. Each names its default identity, its flags and one procedure call; parsing,
 * credentials, --json and errors are handled once, in `runApiCommand`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { routingPolicyInputSchema, tenantSchema } from '@federa/domain';
import { Args } from './args';
import { apiUrl, connect, describeError, UsageError, type Client } from './client';
import { ADMIN, show, type Command, type ParseArgsOptionsConfig } from './command';
import {
  renderAllowedEndpoints,
  renderAudit,
  renderExplain,
  renderHealth,
  renderPolicy,
  renderPolicyHistory,
  renderRateCards,
  renderSites,
  renderTenants,
} from './render';
import { KEY_COMMANDS } from './keys-commands';
import { LEDGER_COMMANDS } from './ledger-commands';
import { STATEMENT_COMMANDS } from './statements';
import { EXCHANGE_COMMANDS } from './exchange-commands';

/** The dev topology's tenant; explain needs a tenant identity and this is the one `npm start` prints. */
const DEV_TENANT = 'tenant:acme-eu';

const CONNECTION_OPTIONS = {
  api: { type: 'string' },
  token: { type: 'string' },
  as: { type: 'string' },
  key: { type: 'string' },
  iss: { type: 'string' },
  aud: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies ParseArgsOptionsConfig;

const operatorFilter = { operator: { type: 'string' } } as const satisfies ParseArgsOptionsConfig;

export const COMMANDS: Readonly<Record<string, Command>> = {
  'sites list': {
    usage: 'sites list [--operator ID]',
    as: ADMIN,
    options: operatorFilter,
    run: (c, a) => show(c.sites.list.query({ operator: a.string('operator') }), renderSites),
  },
  'sites health': {
    usage: 'sites health [--operator ID]',
    as: ADMIN,
    options: operatorFilter,
    run: (c, a) => show(c.sites.health.query({ operator: a.string('operator') }), renderHealth),
  },
  'sites drain': {
    usage: 'sites drain SITE_ID',
    as: ADMIN,
    positionals: ['SITE_ID'],
    run: (c, a) => show(c.sites.drain.mutate({ siteId: siteId(a) }), (s) => renderSites([s])),
  },
  'sites undrain': {
    usage: 'sites undrain SITE_ID',
    as: ADMIN,
    positionals: ['SITE_ID'],
    run: (c, a) => show(c.sites.undrain.mutate({ siteId: siteId(a) }), (s) => renderSites([s])),
  },
  'sites allowed-endpoints': {
    usage: 'sites allowed-endpoints [--operator ID]',
    as: ADMIN,
    options: operatorFilter,
    run: (c, a) =>
      show(c.sites.allowedEndpoints.query({ operator: a.string('operator') }), renderAllowedEndpoints),
  },
  'sites allow-endpoints': {
    usage:
      'sites allow-endpoints --operator ID --endpoints https://*.gpu.example,http://127.0.0.1   (replaces the list)',
    as: ADMIN,
    options: { ...operatorFilter, endpoints: { type: 'string' } },
    run: (c, a) =>
      show(
        c.sites.setAllowedEndpoints.mutate({
          operator: a.required('operator'),
          allowedEndpoints: a.list('endpoints') ?? [],
        }),
        (l) => renderAllowedEndpoints([l]),
      ),
  },
  'policy get': {
    usage: 'policy get',
    as: ADMIN,
    run: (c) => show(c.policy.get.query(), renderPolicy),
  },
  'policy history': {
    usage: 'policy history',
    as: ADMIN,
    run: (c) => show(c.policy.history.query(), renderPolicyHistory),
  },
  'policy set': {
    usage: 'policy set (--file policy.json | --latency N --load N --price N)',
    as: ADMIN,
    options: {
      file: { type: 'string' },
      latency: { type: 'string' },
      load: { type: 'string' },
      price: { type: 'string' },
    },
    run: async (c, a) => show(c.policy.set.mutate(await policyInput(c, a)), renderPolicy),
  },
  'tenants list': {
    usage: 'tenants list',
    as: ADMIN,
    run: (c) => show(c.tenants.list.query(), renderTenants),
  },
  'tenants upsert': {
    usage: 'tenants upsert --file tenant.json',
    as: ADMIN,
    options: { file: { type: 'string' } },
    run: (c, a) =>
      show(c.tenants.upsert.mutate(readJsonFile(a.required('file'), tenantSchema)), (t) =>
        renderTenants([t]),
      ),
  },
  'rate-cards list': {
    usage: 'rate-cards list [--operator ID]',
    as: ADMIN,
    options: operatorFilter,
    run: (c, a) => show(c.rateCards.list.query({ operator: a.string('operator') }), renderRateCards),
  },
  'rate-cards add': {
    usage:
      'rate-cards add --operator ID --model M --from ISO --retail-in N --retail-out N --wholesale-in N --wholesale-out N',
    as: ADMIN,
    options: {
      ...operatorFilter,
      model: { type: 'string' },
      from: { type: 'string' },
      'retail-in': { type: 'string' },
      'retail-out': { type: 'string' },
      'wholesale-in': { type: 'string' },
      'wholesale-out': { type: 'string' },
    },
    run: (c, a) => {
      const price = (name: string) => {
        const n = a.integer(name);
        if (n === undefined) throw new UsageError(`--${name} is required`);
        return n;
      };
      const input = {
        operator: a.required('operator'),
        model: a.required('model'),
        effectiveFrom: a.required('from'),
        retail: { inputPer1M: price('retail-in'), outputPer1M: price('retail-out') },
        wholesale: { inputPer1M: price('wholesale-in'), outputPer1M: price('wholesale-out') },
      };
      return show(c.rateCards.add.mutate(input), (card) => renderRateCards([card]));
    },
  },
  explain: {
    usage: 'explain --model M [--residency FR,DE]   (default --as tenant:acme-eu)',
    as: DEV_TENANT,
    options: { model: { type: 'string' }, residency: { type: 'string' } },
    run: (c, a) =>
      show(
        c.routing.explain.query({ model: a.required('model'), residency: a.list('residency') }),
        renderExplain,
      ),
  },
  audit: {
    usage: 'audit [--limit N] [--before ID]',
    as: ADMIN,
    options: { limit: { type: 'string' }, before: { type: 'string' } },
    run: (c, a) => {
      const limit = a.integer('limit') ?? 50;
      return show(c.audit.list.query({ limit, before: a.string('before') }), renderAudit);
    },
  },
  ...STATEMENT_COMMANDS,
  ...EXCHANGE_COMMANDS,
  ...LEDGER_COMMANDS,
  ...KEY_COMMANDS,
};

function siteId(a: Args): string {
  const id = a.positionals[0];
  if (!id) throw new UsageError('SITE_ID is required');
  return id;
}

/**
 * The weight flags edit the current policy (or the --file one) rather than replacing it, so
 * `--price 0.5` cannot silently reset failover, home preference or tenant overrides to defaults.
 */
async function policyInput(c: Client, a: Args) {
  const weights = { latency: a.number('latency'), load: a.number('load'), price: a.number('price') };
  const file = a.string('file');
  const anyWeight = Object.values(weights).some((w) => w !== undefined);
  if (file === undefined && !anyWeight) {
    throw new UsageError('policy set needs --file or at least one of --latency, --load, --price');
  }
  const base =
    file !== undefined
      ? readJsonFile(file, routingPolicyInputSchema)
      : withoutVersion(await c.policy.get.query());
  return {
    ...base,
    weights: {
      latency: weights.latency ?? base.weights.latency,
      load: weights.load ?? base.weights.load,
      price: weights.price ?? base.weights.price,
    },
  };
}

function withoutVersion<T extends { version: number }>(p: T): Omit<T, 'version'> {
  const { version: _version, ...rest } = p;
  return rest;
}

/**
 * Files are checked with the API's own schema before sending, so a typo is reported with its
 * JSON path and nothing is sent; the API validates again either way.
 */
function readJsonFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(
      `cannot read JSON from ${file}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new UsageError(`${file} is not valid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The command of that name; own keys only, so `federa constructor` is unknown, not a crash. */
export function commandNamed(name: string): Command | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

/** Exit code: 0 done, 1 the API refused or failed or a check failed (`failed`), 2 the command was mistyped. */
export async function runApiCommand(name: string, argv: readonly string[]): Promise<number> {
  const command = commandNamed(name);
  if (!command) throw new UsageError(`unknown command '${name}'`);
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { ...CONNECTION_OPTIONS, ...command.options },
    allowPositionals: true,
    strict: true,
  });
  const names = command.positionals ?? [];
  const extra = positionals[names.length];
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
  if (positionals.length < names.length) throw new UsageError(`${names.join(' ')} is required`);
  const args = new Args(values, positionals);
  const connection = {
    api: args.string('api'),
    token: args.string('token'),
    as: args.string('as'),
    key: args.string('key'),
    iss: args.string('iss'),
    aud: args.string('aud'),
  };
  const session = () => connect(connection, command.as);
  const open = async () => (await session()).client;
  try {
    const { result, text, failed } =
      'local' in command ? await command.local(args, open, session) : await command.run(await open(), args);
    const out = args.flag('json') ? JSON.stringify(result, null, 2) : text;
    if (failed && !args.flag('json')) console.error(out);
    else console.log(out);
    return failed ? 1 : 0;
  } catch (err) {
    // Not an API answer (a credentials mistake is a UsageError): main decides the exit code.
    const line = describeError(err, apiUrl(connection.api));
    if (line === null) throw err;
    console.error(`federa: ${line}`);
    return 1;
  }
}
