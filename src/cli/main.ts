import { Builtins, Cli } from 'clipanion';
import { commands } from './commands.js';

export const VERSION = '0.1.0';

export function buildCli(): Cli {
  // Colours only on a terminal: help and errors piped into files, logs or CI stay plain text.
  const enableColors = Boolean(process.stdout.isTTY) && process.env['NO_COLOR'] === undefined && process.env['FORCE_COLOR'] !== '0';
  const cli = new Cli({ binaryLabel: 'lem — LLM inference energy measurement', binaryName: 'lem', binaryVersion: VERSION, enableColors });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  for (const c of commands) cli.register(c);
  return cli;
}

/** Entry point; returns the exit code. Unknown commands and bad options are usage errors: exit 2. */
export async function main(argv: string[]): Promise<number> {
  const cli = buildCli();
  const context = { ...Cli.defaultContext };
  let command;
  try {
    command = cli.process(argv, context);
  } catch (e) {
    context.stderr.write(cli.error(e, { colored: false }));
    return 2;
  }
  return cli.run(command, context);
}
