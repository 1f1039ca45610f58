import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { UserError } from "../errors.ts";

/**
 * Reads a YAML file and validates it against a zod schema. Every problem is reported at once as
 * `file:line: field: what was expected`, so a bad file is rejected before anything starts.
 */
export function loadYamlFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  const rel = relative(process.cwd(), file);
  const shown = rel && !rel.startsWith("..") ? rel : file;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UserError(`${shown}: cannot read: ${(error as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map(
      (e) => `${shown}:${lines.linePos(e.pos[0]).line}: ${e.message.split("\n")[0]}`,
    );
    throw new UserError(`invalid YAML\n  ${problems.join("\n  ")}`);
  }
  const result = schema.safeParse(doc.toJS());
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => {
    // An unknown key is reported at the key itself, not at the object holding it.
    const extra = issue.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : [];
    const path = [...issue.path.map(String), ...extra];
    // Point at the deepest node that exists: a missing field is reported at its parent's line.
    let line = 1;
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) {
        line = lines.linePos(node.range[0]).line;
        break;
      }
    }
    const field = path.length > 0 ? path.join(".") : "(top level)";
    return `${shown}:${line}: ${field}: ${issue.message}`;
  });
  throw new UserError(`invalid ${shown}\n  ${problems.join("\n  ")}`);
}
