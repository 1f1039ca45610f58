import type { z } from "zod";
import { UserError } from "../errors.ts";

export type PathSegment = string | number;

/**
 * One thing wrong with the input: where (file and line when known, the object, the field path inside
 * the object) and what.
 */
export interface Problem {
  /** e.g. `NetworkPolicy x/allow-web` or `Pod y/b`. */
  object: string;
  path: readonly PathSegment[];
  message: string;
  file?: string;
  line?: number;
}

/** `["spec", "ingress", 0, "from", 1, "ipBlock"]` → `spec.ingress[0].from[1].ipBlock` (the API's notation). */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out || "(top level)";
}

export function formatProblem(p: Problem): string {
  const where = p.file === undefined ? "" : p.line === undefined ? `${p.file}: ` : `${p.file}:${p.line}: `;
  const field = p.path.length > 0 ? `${formatPath(p.path)}: ` : "";
  return `${where}${p.object}: ${field}${p.message}`;
}

/** Every problem found in the input, reported at once; nothing is evaluated while there is one. */
export class NetpolInputError extends UserError {
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    super(
      `invalid network policy input (${problems.length} problem${problems.length === 1 ? "" : "s"})\n  ${problems
        .map(formatProblem)
        .join("\n  ")}`,
    );
    this.name = "NetpolInputError";
    this.problems = problems;
  }
}

/** Zod issues as problems; an unknown key is reported at the key itself, like src/config/yaml-file.ts does. */
export function zodProblems(
  error: z.ZodError,
  object: string,
  prefix: readonly PathSegment[] = [],
): Problem[] {
  return error.issues.map((issue) => {
    const extra = issue.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : [];
    const path = [...prefix, ...issue.path.map((s) => (typeof s === "symbol" ? String(s) : s)), ...extra];
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown field${issue.keys.length > 1 ? `s ${issue.keys.join(", ")}` : ""} (a misspelt field would silently change what the policy means)`
        : issue.message;
    return { object, path, message };
  });
}
