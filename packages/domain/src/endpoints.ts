/**
 * Endpoint allow-lists: which hosts an operator may point the federation at. A site's endpoint is
 * where the worker's probes and the site agent's dispatches go, so an operator must not be able to
 * aim them at arbitrary hosts (internal services, other operators' sites). Admins set one list per
 * operator; `sites.register` and `sites.update` check every endpoint against it.
 *
 * A pattern is `<scheme>://<host>`: scheme `http` or `https`, host an exact name or address
 * (`127.0.0.1`, `[::1]`, `gpu.rhein.example`) or `*.<suffix>`, which matches any name below the
 * suffix (not the suffix itself). Any port is allowed. URLs are parsed with the WHATWG parser (the
 * one `fetch` uses), so the host checked is the host that will be called.
 */
import { z } from 'zod';
import { FederaError } from './errors';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = `${LABEL}(?:\\.${LABEL})*`;
const PATTERN_RE = new RegExp(`^(https?)://(\\*\\.)?(${HOSTNAME}|\\[[0-9a-f:.]+\\])$`);

export const endpointPatternSchema = z
  .string()
  .max(260)
  .regex(PATTERN_RE, "an allowed endpoint is 'http(s)://host' or 'http(s)://*.suffix' (lower case)");

export interface EndpointPattern {
  readonly scheme: 'http' | 'https';
  /** exact host, or the suffix (without the leading dot) when `wildcard` */
  readonly host: string;
  readonly wildcard: boolean;
}

export function parseEndpointPattern(pattern: string): EndpointPattern {
  const m = PATTERN_RE.exec(pattern);
  if (!m) throw new FederaError('VALIDATION_FAILED', `invalid allowed endpoint '${pattern}'`);
  return { scheme: m[1] as 'http' | 'https', wildcard: m[2] !== undefined, host: m[3]! };
}

function matches(p: EndpointPattern, scheme: string, host: string): boolean {
  if (p.scheme !== scheme) return false;
  return p.wildcard ? host.endsWith(`.${p.host}`) : host === p.host;
}

/**
 * Check an endpoint against an operator's allow-list and return it normalised (origin + path, no
 * trailing slash: the agent appends `/v1/...` to it). Throws `VALIDATION_FAILED` for a URL that
 * cannot be a site endpoint at all and `ENDPOINT_NOT_ALLOWED` for one the list does not cover.
 */
export function checkEndpoint(endpoint: string, allowList: readonly string[], operatorId: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new FederaError('VALIDATION_FAILED', 'the endpoint is not a URL');
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https')
    throw notAllowed(operatorId, 'only http and https endpoints are allowed');
  // credentials in a URL would travel with every probe and dispatch, and `user@host` hides the host
  if (url.username !== '' || url.password !== '' || endpoint.includes('@'))
    throw notAllowed(operatorId, 'an endpoint carries no credentials');
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(endpoint))
    throw notAllowed(operatorId, 'an endpoint has no query or fragment');
  const host = url.hostname;
  if (!allowList.some((p) => matches(parseEndpointPattern(p), scheme, host)))
    throw notAllowed(operatorId, `host '${host}' (${scheme}) is not on the operator's allow-list`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function notAllowed(operatorId: string, why: string): FederaError {
  return new FederaError('ENDPOINT_NOT_ALLOWED', `endpoint not allowed for '${operatorId}': ${why}`);
}
