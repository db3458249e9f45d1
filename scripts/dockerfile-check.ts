/**
 * Checks of the Dockerfile and .dockerignore that need no Docker engine: a multi-stage build on a
 * Node 20 slim base, a runtime stage that runs as a non-root user (by number), no secret baked into
 * the image (no ARG/ENV carrying one, no secret or local-state file copied, the .dockerignore keeps
 * them out), exec-form ENTRYPOINT/CMD, every npm workspace's manifest copied before `npm ci`, and
 * every package the runtime sources import declared in their workspace's production dependencies
 * (the image installs with --omit=dev).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

interface Instruction {
  readonly op: string;
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Instructions with continuation lines joined, comments and the parser directive dropped. */
export function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let buffer = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (buffer === '' && (line === '' || line.startsWith('#'))) return;
    if (buffer === '') start = i + 1;
    if (line.endsWith('\\')) {
      buffer += `${line.slice(0, -1)} `;
      return;
    }
    buffer += line;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(buffer);
    if (m) instructions.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
    buffer = '';
  });
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  const argDefaults: Record<string, string> = {};
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const [image = '', as, name] = ins.args.split(/\s+/);
      const base = image.replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_, a?: string, b?: string) => argDefaults[a ?? b ?? ''] ?? '',
      );
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.op === 'ARG') {
        args.push(ins);
        const [k, v] = ins.args.split('=', 2);
        if (k && v !== undefined) argDefaults[k] = v;
      }
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return { args, stages };
}

const SECRETISH = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|API_?KEY|CREDENTIAL|REDIS_URL)/i;

function workspaceDirs(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const dirs: string[] = [];
  for (const pattern of pkg.workspaces) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      for (const d of readdirSync(join(root, parent))) {
        if (existsSync(join(root, parent, d, 'package.json'))) dirs.push(`${parent}/${d}`);
      }
    } else if (existsSync(join(root, pattern, 'package.json'))) dirs.push(pattern);
  }
  return dirs.sort();
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(entry) && !/\.test\.|\.d\.ts$/.test(entry)) out.push(p);
  }
  return out;
}

const BUILTINS = new Set(builtinModules);

/** Bare imports of runtime sources that their workspace does not declare as a production dependency. */
export function undeclaredRuntimeImports(root: string, workspaces: readonly string[]): string[] {
  const problems: string[] = [];
  for (const ws of workspaces) {
    const pkg = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const declared = new Set([
      pkg.name,
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ]);
    for (const file of sourceFiles(join(root, ws, 'src'))) {
      const text = readFileSync(file, 'utf8');
      // static imports and re-exports (not `import type`, erased at run time), dynamic imports
      const re =
        /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
      for (const m of text.matchAll(re)) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || BUILTINS.has(spec))
          continue;
        const parts = spec.split('/');
        const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
        if (BUILTINS.has(name)) continue;
        if (!declared.has(name))
          problems.push(`${relative(root, file)} imports '${name}', not in ${ws}'s dependencies`);
      }
    }
  }
  return [...new Set(problems)].sort();
}

export function checkDockerfile(root: string): { stages: number; problems: string[] } {
  const problems: string[] = [];
  const { args, stages } = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  if (stages.length < 2) problems.push(`multi-stage build expected, found ${stages.length} stage(s)`);
  for (const [i, s] of stages.entries()) {
    // a stage may also build on an earlier one (FROM deps AS console)
    const earlier = stages.slice(0, i).some((e) => e.name !== undefined && e.name === s.base);
    if (!earlier && !/^(docker\.io\/(library\/)?)?node:20[\w.-]*-slim$/.test(s.base))
      problems.push(`stage ${s.name ?? '?'}: base '${s.base}' is not a node:20 slim image`);
  }
  const all = [...args, ...stages.flatMap((s) => s.instructions)];
  for (const ins of all) {
    if ((ins.op === 'ARG' || ins.op === 'ENV') && SECRETISH.test(ins.args)) {
      problems.push(`line ${ins.line}: ${ins.op} ${ins.args} looks like a secret baked into the image`);
    }
    if (
      (ins.op === 'COPY' || ins.op === 'ADD') &&
      /(\.data|secrets?|\.env|\.pem|\.key\b|id_rsa)/.test(ins.args)
    ) {
      problems.push(`line ${ins.line}: ${ins.op} ${ins.args} copies secrets or local state`);
    }
    if (ins.op === 'ADD' && /https?:\/\//.test(ins.args)) problems.push(`line ${ins.line}: ADD from a URL`);
  }
  const runtime = stages.at(-1);
  if (runtime) {
    const users = runtime.instructions.filter((i) => i.op === 'USER');
    const user = users.at(-1)?.args;
    if (!user) problems.push('the runtime stage sets no USER (it would run as root)');
    else {
      const uid = user.split(':')[0]!;
      if (!/^\d+$/.test(uid)) problems.push(`USER ${user}: give a numeric uid so runAsNonRoot can verify it`);
      else if (Number(uid) === 0) problems.push('USER is root');
    }
    for (const op of ['ENTRYPOINT', 'CMD']) {
      const ins = runtime.instructions.filter((i) => i.op === op).at(-1);
      if (!ins) problems.push(`the runtime stage has no ${op}`);
      else if (!ins.args.startsWith('[')) problems.push(`${op} in shell form (signals would not reach node)`);
    }
    if (runtime.instructions.some((i) => i.op === 'RUN' && /npm (ci|install)/.test(i.args))) {
      problems.push('the runtime stage installs packages (do it in an earlier stage)');
    }
  }
  // every workspace's manifest is copied before npm ci, so the lock file's workspaces all install
  const deps = stages.find((s) => s.instructions.some((i) => i.op === 'RUN' && /npm ci/.test(i.args)));
  if (!deps) problems.push('no stage runs npm ci');
  else {
    const ci = deps.instructions.findIndex((i) => i.op === 'RUN' && /npm ci/.test(i.args));
    const copied = deps.instructions
      .slice(0, ci)
      .filter((i) => i.op === 'COPY')
      .map((i) => i.args);
    for (const ws of workspaceDirs(root)) {
      if (!copied.some((c) => c.includes(`${ws}/package.json`)))
        problems.push(`${ws}/package.json is not copied before npm ci`);
    }
    if (!deps.instructions[ci]!.args.includes('--omit=dev')) problems.push('npm ci without --omit=dev');
  }
  const ignore = existsSync(join(root, '.dockerignore'))
    ? readFileSync(join(root, '.dockerignore'), 'utf8')
        .split('\n')
        .map((l) => l.trim())
    : [];
  for (const must of ['.data', '.tools', '.git', '**/node_modules']) {
    if (!ignore.includes(must)) problems.push(`.dockerignore does not exclude ${must}`);
  }
  // what runs in the image: the API, the worker and what they import (the console runs in browsers:
  // its imports are bundled by Vite in the build stage, and only the bundle reaches the image)
  const notRunInImage = new Set(['apps/site-emulator', 'apps/cli', 'apps/console']);
  problems.push(
    ...undeclaredRuntimeImports(
      root,
      workspaceDirs(root).filter((w) => !notRunInImage.has(w)),
    ),
  );
  return { stages: stages.length, problems };
}
