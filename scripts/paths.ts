/** The repository root, for scripts that write under .data/ and .tools/. */
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
