#!/usr/bin/env node
// The installed `federa` command. The CLI is written in TypeScript and Node 20 cannot run `.ts`
// files itself, so this plain-JS shim registers tsx's loader (a dependency of the CLI) and then
// runs the real entry point. Works from the repo (`npx federa`) and as an installed bin.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
