import { Builtins, Cli } from 'clipanion';
import { commands } from './commands.js';

export const VERSION = '0.1.0';

/** What each option's value is, for help: clipanion itself writes every option value as `#0`. */
const PLACEHOLDERS: Readonly<Record<string, string>> = {
  '--project': 'dir',
  '--campaigns': 'dir',
  '--results': 'dir',
  '--health-timeout': 'seconds',
  '--campaign': 'id',
  '--experiment': 'id',
  '--out': 'path',
  '--resamples': 'n',
  '--seed': 'n',
};

/** Usage text with `--option <what>` where clipanion writes `--option #0`. */
export function namePlaceholders(text: string): string {
  return text.replace(
    /(--[a-z][\w-]*) #\d+/g,
    (_, name: string) => `${name} <${Object.hasOwn(PLACEHOLDERS, name) ? PLACEHOLDERS[name] : 'value'}>`,
  );
}

class LemCli extends Cli {
  override usage(...args: Parameters<Cli['usage']>): string {
    return namePlaceholders(super.usage(...args));
  }

  override error(...args: Parameters<Cli['error']>): string {
    return namePlaceholders(super.error(...args));
  }
}

export function buildCli(): Cli {
  // Colours only on a terminal: help and errors piped into files, logs or CI stay plain text.
  const enableColors =
    Boolean(process.stdout.isTTY) && process.env['NO_COLOR'] === undefined && process.env['FORCE_COLOR'] !== '0';
  const cli = new LemCli({
    binaryLabel: 'lem — LLM inference energy measurement',
    binaryName: 'lem',
    binaryVersion: VERSION,
    enableColors,
  });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  for (const c of commands) cli.register(c);
  return cli;
}

/**
 * A reader that goes away (`lem campaign run … | head -3`) closes the pipe under stdout or stderr. Without a
 * handler the next write kills lem with EPIPE mid-run, leaving the campaign `running`, its lock and its
 * containers behind. The output has no reader any more, so it is dropped and the work goes on to a clean end.
 */
export function keepRunningWhenOutputCloses(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    throw e;
  });
}

/** Entry point; returns the exit code. Unknown commands and bad options are usage errors: exit 2. */
export async function main(argv: string[]): Promise<number> {
  keepRunningWhenOutputCloses(process.stdout);
  keepRunningWhenOutputCloses(process.stderr);
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
