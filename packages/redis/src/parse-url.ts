/**
 * The two Redis URL forms the services accept (REDIS_URL):
 *
 * - `redis://[user:pass@]host:port[/db]`: one node, as before;
 * - `redis+cluster://[user:pass@]host1:port1,host2:port2,...`: Redis Cluster seed nodes (any
 *   reachable one is enough; the client learns the rest from CLUSTER SLOTS), the credentials apply
 *   to every node;
 * - `rediss://` and `rediss+cluster://`: the same over TLS (system CAs).
 *
 * WHATWG URL cannot hold a comma-separated host list, hence a small hand-written parser. Errors
 * show the URL with its credentials masked: a password must never reach a log.
 */

export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
}

interface Credentials {
  readonly username?: string;
  readonly password?: string;
}

interface Common extends Credentials {
  readonly tls: boolean;
}

export type ParsedRedisUrl =
  | (Common & { readonly kind: 'single'; readonly node: RedisEndpoint; readonly db: number })
  | (Common & { readonly kind: 'cluster'; readonly nodes: readonly RedisEndpoint[] });

export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

const SCHEMES = {
  'redis:': { kind: 'single', tls: false },
  'rediss:': { kind: 'single', tls: true },
  'redis+cluster:': { kind: 'cluster', tls: false },
  'rediss+cluster:': { kind: 'cluster', tls: true },
} as const;

/** The URL with anything before '@' in the authority replaced by `***` (for messages and logs). */
export function redactRedisUrl(url: string): string {
  const m = /^([a-z+]+:\/\/)([^/?#]*@)?(.*)$/i.exec(url);
  if (!m) return '<unparseable Redis URL>';
  return `${m[1]}${m[2] ? '***@' : ''}${m[3]}`;
}

function fail(url: string, why: string): never {
  throw new RedisUrlError(`invalid Redis URL '${redactRedisUrl(url)}': ${why}`);
}

function decode(url: string, part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return fail(url, `the ${what} is not valid percent-encoding`);
  }
}

function parseEndpoint(url: string, text: string): RedisEndpoint {
  // [v6]:port or host:port
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/i.exec(text);
  if (!m) return fail(url, `'${text}' is not host:port`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return fail(url, `port ${m[3]} is out of range 1-65535`);
  return { host: (m[1] ?? m[2])!, port };
}

function parseCredentials(url: string, userinfo: string | undefined): Credentials {
  if (userinfo === undefined) return {};
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? '' : userinfo.slice(0, colon);
  // `redis://secret@host` (no colon) is a password alone, as Redis's own clients read it
  const pass = colon < 0 ? userinfo : userinfo.slice(colon + 1);
  return {
    ...(user ? { username: decode(url, user, 'user name') } : {}),
    ...(pass ? { password: decode(url, pass, 'password') } : {}),
  };
}

export function parseRedisUrl(url: string): ParsedRedisUrl {
  const schemeEnd = url.indexOf('://');
  const scheme = schemeEnd < 0 ? '' : url.slice(0, schemeEnd + 1).toLowerCase();
  const known = SCHEMES[scheme as keyof typeof SCHEMES] as (typeof SCHEMES)[keyof typeof SCHEMES] | undefined;
  if (!known)
    return fail(url, 'expected redis[s]://host:port or redis[s]+cluster://host1:port1,host2:port2,...');
  const rest = url.slice(schemeEnd + 3);
  // credentials end at the LAST '@' (an unencoded '@' in a password then still parses)
  const at = rest.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : rest.slice(0, at);
  const afterAuth = at < 0 ? rest : rest.slice(at + 1);
  const pathStart = afterAuth.search(/[/?#]/);
  const hostPart = pathStart < 0 ? afterAuth : afterAuth.slice(0, pathStart);
  const path = pathStart < 0 ? '' : afterAuth.slice(pathStart);
  if (/[?#]/.test(path)) return fail(url, 'query parameters and fragments are not supported');
  const { kind, tls } = known;
  const credentials = { ...parseCredentials(url, userinfo), tls };
  const hosts = hostPart.split(',').filter((h) => h !== '');
  if (hosts.length === 0) return fail(url, 'no host:port given');
  const nodes = hosts.map((h) => parseEndpoint(url, h));
  const dbText = path.replace(/^\//, '');
  if (kind === 'cluster') {
    if (dbText !== '' && dbText !== '0') return fail(url, 'a Redis Cluster has only database 0');
    return { kind, nodes, ...credentials };
  }
  if (nodes.length > 1) return fail(url, 'several hosts need the redis+cluster:// scheme');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText)) return fail(url, `'/${dbText}' is not a database number`);
  return { kind, node: nodes[0]!, db: dbText === '' ? 0 : Number(dbText), ...credentials };
}
