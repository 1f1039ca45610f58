import { type ParseArgsConfig, parseArgs } from "node:util";
import { UserError } from "../errors.ts";

export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/**
 * Strict flag parsing for the zx entry points: an unknown flag or a missing value is a UserError
 * that lists every valid flag, so a typo never silently falls back to a default.
 */
export function parseFlags<T extends FlagSpec>(
  command: string,
  argv: string[],
  options: T,
  { positionals = false }: { positionals?: boolean } = {},
) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
  } catch (error) {
    const valid = Object.entries(options)
      .map(([name, o]) => (o.type === "string" ? `--${name} VALUE` : `--${name}`))
      .join(", ");
    const reason = (error as Error).message.split("\n")[0];
    throw new UserError(`${command}: ${reason}`, `valid flags: ${valid || "(none)"}`);
  }
}

/** Checks a flag value against its allowed set, naming both on failure. */
export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(`--${flag}: '${value}' is not valid; expected one of: ${allowed.join(", ")}`);
}

/** A flag's whole number within [min, max], naming the flag and the range on failure. */
export function wholeNumber(
  flag: string,
  value: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(value);
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  throw new UserError(`--${flag}: '${value}' is not valid; expected a whole number ${range}`);
}
