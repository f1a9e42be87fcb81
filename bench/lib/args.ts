/**
 * The benches' command-line flags: each flag its handler, in order; a flag without one is an error,
 * so a mistyped option fails the run instead of measuring the defaults.
 */

export interface FlagValue {
  /** The next argument, which must be a positive number. */
  number(): number;
  /** The next argument as given (undefined past the end). */
  text(): string | undefined;
}

export function parseFlags(argv: string[], handlers: Record<string, (value: FlagValue) => unknown>): void {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const handler = Object.hasOwn(handlers, flag) ? handlers[flag] : undefined;
    if (!handler) throw new Error(`unknown option ${flag}`);
    handler({
      number: () => {
        const n = Number(argv[++i]);
        if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
        return n;
      },
      text: () => argv[++i],
    });
  }
}
