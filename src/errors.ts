/**
 * An error the user can act on. Commands print its message (and hint) alone, without a stack
 * trace, and exit non-zero; anything else that escapes is a bug and keeps its stack.
 */
export class UserError extends Error {
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = "UserError";
    this.hint = hint;
  }
}
