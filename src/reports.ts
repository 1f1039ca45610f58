import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths.ts";

/** A run's report folder, `reports/<kind>-<time>/` (the time made safe for file names), made now. */
export function reportDir(kind: string, startedAt: Date): string {
  const dir = join(repoRoot, "reports", `${kind}-${startedAt.toISOString().replace(/[:.]/g, "-")}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
