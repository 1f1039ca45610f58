/**
 * An error the user can act on. Commands print its message (and hint) alone, without a stack
 * trace, and exit non-zero; anything else that escapes is a bug and keeps its stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UserError";
  }
}
