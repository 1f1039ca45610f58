import { wholeNumber } from "../cli/flags.ts";
import { UserError } from "../errors.ts";

/** The environment of pull request N: `pr-N`, from the `pr` env file. */
export function prEnvironment(pr: string | undefined): string {
  if (pr === undefined) throw new UserError("--pr: required (the pull request's number)");
  return `pr-${wholeNumber("pr", pr, 1, 999_999_999)}`;
}

/** A commit id as pipelines pass it: 7 to 40 hex digits. */
export function commitSha(sha: string | undefined): string | undefined {
  if (sha !== undefined && !/^[0-9a-f]{7,40}$/.test(sha))
    throw new UserError(`--sha: '${sha}' is not a commit id (7 to 40 lower-case hex digits)`);
  return sha;
}
