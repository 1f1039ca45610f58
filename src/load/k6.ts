import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { execa } from "execa";
import type { Target } from "../../load/flows.ts";
import type { LoadSummary } from "../../load/summary.ts";
import { UserError } from "../errors.ts";
import { repoRoot } from "../paths.ts";
import { recordsFromK6Points } from "./k6-points.ts";
import type { RequestRecord } from "./summarize.ts";

/** k6's path when it is installed (on PATH), else undefined. */
export function findK6(path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, "k6"), constants.X_OK);
      return join(dir, "k6");
    } catch {
      // not in this one
    }
  }
  return undefined;
}

/**
 * Runs a scenario's k6 script (load/k6/NAME.ts) with k6's own output on the terminal; its
 * handleSummary writes DevStack's summary into `dir`, and its JSON output gives the requests.
 */
export async function runK6(
  k6: string,
  run: {
    scenario: string;
    bases: Record<string, string>;
    target: Target;
    rate?: number;
    duration?: string;
    dir: string;
  },
): Promise<{ summary: LoadSummary; records: RequestRecord[] }> {
  const summaryFile = join(run.dir, "summary.json");
  const pointsFile = join(run.dir, "k6-points.json");
  const result = await execa(
    k6,
    ["run", "--out", `json=${pointsFile}`, join(repoRoot, "load", "k6", `${run.scenario}.ts`)],
    {
      stdio: "inherit",
      reject: false,
      env: {
        BASE_URLS: JSON.stringify(run.bases),
        TARGET: run.target,
        SUMMARY: summaryFile,
        ...(run.rate ? { RATE: String(run.rate) } : {}),
        ...(run.duration ? { DURATION: run.duration } : {}),
      },
    },
  );
  // k6 exits 99 when a threshold failed; its handleSummary wrote the summary either way.
  if (result.exitCode !== 0 && result.exitCode !== 99)
    throw new UserError(`k6 exited with ${result.exitCode} (its output is above)`);
  return {
    summary: JSON.parse(readFileSync(summaryFile, "utf8")) as LoadSummary,
    records: recordsFromK6Points(readFileSync(pointsFile, "utf8")),
  };
}
