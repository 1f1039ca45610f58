import { UserError } from "../errors.ts";

/**
 * Runs a command's body: a UserError becomes one clear message and exit code 1, Ctrl-C exits 130
 * after the body's own cleanup, anything else keeps its stack trace because it is a bug.
 */
export async function runMain(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof UserError) {
      console.error(`error: ${error.message}`);
      if (error.hint) console.error(error.hint);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}
