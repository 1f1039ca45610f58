import { expect } from "vitest";
import { UserError } from "../../src/errors.ts";

/**
 * The UserError `body` throws. Fails the test when it returns normally or throws anything else, so
 * a check of the error's message or hint can never pass by not running.
 */
export function userErrorFrom(body: () => unknown): UserError {
  let error: unknown;
  try {
    body();
  } catch (e) {
    error = e;
  }
  expect(error, "expected a UserError to be thrown").toBeInstanceOf(UserError);
  return error as UserError;
}

/** What `promise` rejects with; fails the test when it resolves, so a check of the error always runs. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail("expected the promise to reject");
}
