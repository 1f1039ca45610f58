import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { repoRoot } from "./paths.ts";

/** A run's report folder, `reports/<kind>-<time>/` (the time made safe for file names), made now. */
export function reportDir(kind: string, startedAt: Date): string {
  const dir = join(repoRoot, "reports", `${kind}-${startedAt.toISOString().replace(/[:.]/g, "-")}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** `--report DIR`: where a pipeline wants a suite's report, to combine it with the others. */
export const REPORT_FLAG = { report: { type: "string" } } as const;

/** A suite's report folder: the one `--report` names, else its own `reports/<kind>-<time>/`. */
export function suiteReportDir(flag: string | undefined, kind: string, startedAt: Date): string {
  if (flag === undefined) return reportDir(kind, startedAt);
  const dir = resolve(flag);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A report's JSON file, indented for people who open it. */
export function writeJson(dir: string, name: string, data: unknown): void {
  writeFileSync(join(dir, name), `${JSON.stringify(data, null, 2)}\n`);
}
