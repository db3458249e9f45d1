/**
 * What a command is, shared by the command tables (commands.ts, statements.ts) and the runner,
 * so the tables do not import each other.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Args } from './args';
import type { Client, Connection } from './client';

export type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

export const ADMIN = 'admin:cli';

export interface CommandOutput<R = unknown> {
  readonly result: R;
  readonly text: string;
  /**
   * The command's own verdict is negative (a signature or proof that does not check out): exit 1
   * and the text goes to stderr. It is an answer rather than an error, so --json still prints it.
   */
  readonly failed?: boolean;
}

interface CommandBase {
  readonly usage: string;
  /** the identity a minted token gets when neither --token, --as nor FEDERA_TOKEN says otherwise */
  readonly as: string;
  readonly options?: ParseArgsOptionsConfig;
  readonly positionals?: readonly string[];
}

export interface ApiCommand extends CommandBase {
  run(client: Client, args: Args): Promise<CommandOutput>;
}

/**
 * A command that works without the API and connects only when its flags ask for it, so offline
 * verification needs no credentials and no reachable API.
 */
export interface LocalCommand extends CommandBase {
  local(
    args: Args,
    connect: () => Promise<Client>,
    session: () => Promise<Connection>,
  ): Promise<CommandOutput>;
}

export type Command = ApiCommand | LocalCommand;

/** Ties each call's result type to its renderer, then forgets it for the command table. */
export function show<T>(result: Promise<T>, render: (r: T) => string): Promise<CommandOutput> {
  return result.then((r) => ({ result: r, text: render(r) }));
}
