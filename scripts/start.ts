/**
 * `npm start`: the whole federation on this machine. Starts (or reuses) Temporal and Redis, then
 * the site emulators, the worker and the API as child processes; serves one real request to prove
 * the path; prints the API address, a dev tenant token and a request to copy. Ctrl-C stops it all.
 */
import { PROFILES } from './infra';
import { LocalFederation } from './federation';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretsDir, writeSecretFile } from './secrets';
import { buildConsole } from './console-build';

const profile = PROFILES.dev;
const API_PORT = Number(process.env.FEDERA_API_PORT ?? 8787);
const TOPOLOGY = process.env.FEDERA_TOPOLOGY ?? 'deploy/dev/topology.json';
const DEMO_TENANT = 'acme-eu';
/** who the printed console sign-ins are: the demo tenant's home operator, and an admin */
const DEMO_OPERATOR = 'rhein';
const DEMO_ADMIN = 'admin@federa.local';

let stopping = false;
const federation = new LocalFederation({
  profile,
  apiPort: API_PORT,
  topologyFile: TOPOLOGY,
  onUnexpectedExit: (name, code) => {
    console.error(`[${name}] exited (${code}); stopping the federation`);
    void shutdown(1);
  },
});

async function shutdown(code: number): Promise<never> {
  if (stopping) return new Promise(() => undefined);
  stopping = true;
  console.log('\nstopping the federation…');
  await federation.stop();
  console.log('stopped.');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  console.log(
    'building the web console, then starting Temporal and Redis, the sites, the worker and the API…',
  );
  // the API serves this build at /console (it reads the files when it starts)
  await buildConsole();
  await federation.start();
  for (const s of federation.infra) if (s.note) console.warn(`note (${s.name}): ${s.note}`);
  const api = federation.apiUrl;
  const token = await federation.tenantToken(DEMO_TENANT);
  const example = {
    requestId: `hello-${Date.now()}`,
    model: 'llama-3.1-8b',
    messages: [{ role: 'user', content: 'Where was this answered?' }],
    max_tokens: 64,
  };
  // One real request proves the whole path before we tell the user it works. The worker may still
  // be bundling its workflow code, so the first request can take a few seconds.
  const res = await fetch(`${api}/trpc/inference.complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(example),
    signal: AbortSignal.timeout(120_000),
  });
  const body = (await res.json()) as {
    result?: {
      data: { route: { siteId: string; jurisdiction: string }; charge: { amount: number; currency: string } };
    };
    error?: unknown;
  };
  if (!body.result) throw new Error(`the first request failed: ${JSON.stringify(body.error)}`);
  const { route, charge } = body.result.data;

  // An API key for the OpenAI-compatible surface, kept with the other local secrets and reused
  // across restarts (a new one only when it was revoked), then one streamed request through /v1.
  const apiKey = await demoApiKey(api, token);
  const streamed = await fetch(`${api}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({
      model: 'llama-3.1-8b',
      messages: [{ role: 'user', content: 'Stream me a hello from Europe.' }],
      max_tokens: 32,
      stream: true,
    }),
    signal: AbortSignal.timeout(60_000),
  });
  const sse = await streamed.text();
  if (streamed.status !== 200 || !sse.includes('data: [DONE]'))
    throw new Error(`the first streamed request failed: HTTP ${streamed.status} ${sse.slice(0, 300)}`);
  const metrics = await metricsLines(federation.metricsUrls);
  const [operatorToken, adminToken] = await Promise.all([
    federation.token('operator', DEMO_OPERATOR),
    federation.token('admin', DEMO_ADMIN),
  ]);
  const consoleUrl = `${api}/console/`;
  const consoleRes = await fetch(consoleUrl, { signal: AbortSignal.timeout(10_000) });
  if (consoleRes.status !== 200) throw new Error(`the console is not served: HTTP ${consoleRes.status}`);

  console.log(`
Federa is running.
  Web console  ${consoleUrl}
  API          ${api}/trpc   (tRPC over plain JSON)
  Temporal UI  http://127.0.0.1:${profile.temporalUiPort}
  Secrets      ${secretsDir(profile.name)}/ (Redis users' passwords, emulator control token; mode 0600)
  First request served by ${route.siteId} (${route.jurisdiction}), charged ${charge.amount} micro-${charge.currency};
  a streamed one through /v1 by ${streamed.headers.get('x-federa-site')} (${streamed.headers.get('x-federa-jurisdiction')}).

${metrics}

OpenAI-compatible API (any official client):  ${api}/v1
  API key for '${DEMO_TENANT}' (kept in ${secretsDir(profile.name)}/demo-api-key):
  export OPENAI_BASE_URL=${api}/v1 OPENAI_API_KEY=${apiKey}

  node --input-type=module -e "
    import OpenAI from 'openai';
    const stream = await new OpenAI().chat.completions.create({ model: 'llama-3.1-8b', stream: true,
      messages: [{ role: 'user', content: 'Hello from Europe' }] });
    for await (const c of stream) process.stdout.write(c.choices[0]?.delta?.content ?? '');"

Dev token for tenant '${DEMO_TENANT}' (EU-only residency), valid 12 h:
  export FEDERA_TOKEN=${token}

Try:
  curl -s ${api}/trpc/inference.complete \\
    -H "authorization: Bearer $FEDERA_TOKEN" -H 'content-type: application/json' \\
    -d '{"requestId":"demo-1","model":"llama-3.1-8b","max_tokens":64,"messages":[{"role":"user","content":"Hello from Europe"}]}'

  curl -s -G ${api}/trpc/usage.list -H "authorization: Bearer $FEDERA_TOKEN" --data-urlencode 'input={"limit":5}'

Sign in to the web console (${consoleUrl}) by pasting one of these (valid 12 h):
  tenant '${DEMO_TENANT}':  the dev token above ($FEDERA_TOKEN), or the API key above (no key management with a key)
  operator '${DEMO_OPERATOR}':
    ${operatorToken}
  admin '${DEMO_ADMIN}':
    ${adminToken}

Tokens for others: npm run token -- --role tenant --subject bleu-sante (or --role operator --subject lumiere)
Press Ctrl-C to stop everything.`);
} catch (err) {
  if (!stopping) {
    console.error(`\nnpm start failed: ${(err as Error).message}`);
    await shutdown(1);
  }
}

/**
 * Where Prometheus scrapes each process, checked by scraping once: the two requests above must
 * already show in the API's federa_requests_total.
 */
async function metricsLines(urls: { api: string; worker: string } | undefined): Promise<string> {
  if (!urls) return 'Metrics      off (FEDERA_METRICS_PORT=off)';
  const families = async (url: string) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`${url} answered HTTP ${res.status}`);
    const text = await res.text();
    return new Set(text.split('\n').flatMap((l) => (l.startsWith('# TYPE ') ? [l.split(' ')[2]] : []))).size;
  };
  const [api, worker] = await Promise.all([families(urls.api), families(urls.worker)]);
  return `Metrics (Prometheus text format; dashboards and alert rules in deploy/observability/, names in docs/observability.md)
  API          ${urls.api}   (${api} families: requests, admission, ledger operations, routing, Temporal SDK)
  worker       ${urls.worker}   (${worker} families: site agents, ledger and routing state, settlement, Temporal SDK)
  curl -s ${urls.api} | grep '^federa_requests_total'
Traces       off; set OTEL_EXPORTER_OTLP_ENDPOINT to an OTLP/HTTP collector (e.g. http://127.0.0.1:4318) before npm start`;
}

/** The demo tenant's API key: the saved one while it still authenticates, else a new one (saved). */
async function demoApiKey(api: string, tenantJwt: string): Promise<string> {
  const file = join(secretsDir(profile.name), 'demo-api-key');
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    const probe = await fetch(`${api}/v1/models`, { headers: { authorization: `Bearer ${saved}` } });
    if (probe.status === 200) return saved;
  }
  const res = await fetch(`${api}/trpc/keys.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tenantJwt}` },
    body: JSON.stringify({ name: 'npm start demo' }),
  });
  const body = (await res.json()) as { result?: { data: { secret: string } }; error?: unknown };
  if (!body.result) throw new Error(`could not create the demo API key: ${JSON.stringify(body.error)}`);
  writeSecretFile(profile.name, 'demo-api-key', body.result.data.secret);
  return body.result.data.secret;
}
