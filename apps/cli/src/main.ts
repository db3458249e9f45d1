#!/usr/bin/env node
/**
 * `federa` — the command line for admins and operators: key generation and token minting for dev
 * and onboarding, the admin/operator API (sites, policy, tenants, rate cards, explain, audit,
 * settlement statements), and offline verification of signed statements.
 */
import { parseArgs } from 'node:util';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_ISSUER,
  ensureDevKeys,
  mintToken,
  readSigningKey,
  roleSchema,
} from '@federa/auth';
import { DEFAULT_API, DEFAULT_KEY_FILE, UsageError } from './client';
import { COMMANDS, commandNamed, runApiCommand } from './commands';

const USAGE = `usage:
  federa keygen [--dir .data/dev/keys]                 create a signing key and its JWKS (kept if present)
  federa token --role tenant|operator|admin --subject ID [--ttl 12h] [--key FILE] [--iss ISS] [--aud AUD] [--json]
${Object.values(COMMANDS)
  .map((c) => `  federa ${c.usage}`)
  .join('\n')}

API commands print a table, or the API's answer as JSON with --json. They take:
  --api URL          API base URL (env FEDERA_API, default ${DEFAULT_API})
  --token JWT        bearer token (env FEDERA_TOKEN)
  --as ROLE:SUBJECT  mint a short-lived token with the dev signing key instead (default admin:cli;
                     explain: tenant:acme-eu; operators: --as operator:ID). An explicit --as wins over FEDERA_TOKEN.
  --key FILE         signing key for --as (default ${DEFAULT_KEY_FILE}), --iss ISS, --aud AUD
statements verify (unless --recompute), exchange verify and exchange recompute need none of these
(and no API). Each JWKS option takes a file or a URL: --jwks of statements and --clearing-jwks the
API's ${DEFAULT_API}/.well-known/federa-clearing-jwks.json (statements), --file-jwks its
${DEFAULT_API}/.well-known/federa-exchange-jwks.json (exchange files).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  const apiCommand = command === undefined ? undefined : resolveApiCommand(command, rest);
  if (apiCommand) {
    try {
      return await runApiCommand(apiCommand.name, apiCommand.argv);
    } catch (err) {
      if (!(err instanceof UsageError) && !isParseArgsError(err)) throw err;
      const usage = commandNamed(apiCommand.name)?.usage ?? '';
      console.error(`federa ${apiCommand.name}: ${err.message}\nusage: federa ${usage}`);
      return 2;
    }
  }
  if (command !== 'keygen' && command !== 'token') {
    if (!command) {
      console.error(USAGE);
      return 0;
    }
    const verbs = Object.keys(COMMANDS)
      .filter((name) => name.startsWith(`${command} `))
      .map((name) => name.slice(command.length + 1));
    console.error(
      verbs.length > 0
        ? `federa ${command}: expected one of ${verbs.join(', ')}\n${USAGE}`
        : `federa: unknown command '${command}'\n${USAGE}`,
    );
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string', default: '.data/dev/keys' },
      key: { type: 'string' },
      role: { type: 'string' },
      subject: { type: 'string' },
      ttl: { type: 'string', default: '12h' },
      iss: { type: 'string', default: process.env.FEDERA_JWT_ISSUER ?? DEFAULT_ISSUER },
      aud: { type: 'string', default: process.env.FEDERA_JWT_AUDIENCE ?? DEFAULT_AUDIENCE },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  switch (command) {
    case 'keygen': {
      const files = await ensureDevKeys(values.dir);
      console.log(
        values.json
          ? JSON.stringify(files)
          : `signing key: ${files.signingKeyFile}\njwks:        ${files.jwksFile}`,
      );
      return 0;
    }
    case 'token': {
      const role = roleSchema.safeParse(values.role);
      if (!role.success || !values.subject) {
        console.error(`federa token: --role (tenant|operator|admin) and --subject are required\n${USAGE}`);
        return 2;
      }
      const keyFile = values.key ?? (await ensureDevKeys(values.dir)).signingKeyFile;
      const token = await mintToken({
        privateJwk: readSigningKey(keyFile),
        role: role.data,
        subject: values.subject,
        issuer: values.iss,
        audience: values.aud,
        expiresIn: values.ttl,
      });
      console.log(values.json ? JSON.stringify({ token, role: role.data, subject: values.subject }) : token);
      return 0;
    }
    default:
      console.error(USAGE);
      return command ? 2 : 0;
  }
}

/** Two-word commands (`sites list`) first, so a group and its verb read like one command. */
function resolveApiCommand(first: string, rest: string[]): { name: string; argv: string[] } | undefined {
  const [second, ...tail] = rest;
  if (second !== undefined && commandNamed(`${first} ${second}`))
    return { name: `${first} ${second}`, argv: tail };
  if (commandNamed(first)) return { name: first, argv: rest };
  return undefined;
}

/** node:util parseArgs reports unknown flags and missing values as TypeErrors with ERR_PARSE_ARGS_* codes. */
function isParseArgsError(err: unknown): err is Error {
  return (
    err instanceof TypeError &&
    'code' in err &&
    typeof err.code === 'string' &&
    err.code.startsWith('ERR_PARSE_ARGS')
  );
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`federa: ${err.message}`);
    process.exit(1);
  },
);
