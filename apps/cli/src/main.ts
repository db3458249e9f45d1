#!/usr/bin/env node
/**
 * `federa` — the command line for admins and operators. Today: key generation and token minting
 * for dev and for operators' onboarding.
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

const USAGE = `usage:
  federa keygen [--dir .data/dev/keys]                 create a signing key and its JWKS (kept if present)
  federa token --role tenant|operator|admin --subject ID [--ttl 12h] [--key FILE] [--iss ISS] [--aud AUD] [--json]`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`federa: ${err.message}`);
    process.exit(1);
  },
);
