/**
 * Command lines of the scripts (campaigns, benchmarks), through commander like the CLI's: one
 * place where flags are declared, validated with a message that names them, and listed by --help.
 */
import { Command, InvalidArgumentError } from 'commander';

/** A script's command: named as it is run, help on --help, unknown flags refused. */
export function scriptCommand(name: string, description: string): Command {
  return new Command(name).description(description).allowExcessArguments(false);
}

/** A parser for an integer flag in [min, max]: "got X; want an integer from min to max". */
export function integerFlag(min: number, max: number = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`got ${JSON.stringify(text)}; want an integer from ${min} to ${max}`);
    }
    return value;
  };
}

/** Parses `argv` (the arguments after the script) and returns the command's options. */
export function parseCommandLine<T>(command: Command, argv: string[]): T {
  return command.parse(argv, { from: 'user' }).opts<Record<string, unknown>>() as T;
}
