import { join } from "node:path";
import { execa } from "execa";
import { entryPointCommand } from "../cli/entry-point.ts";
import { oneOf } from "../cli/flags.ts";
import { readEnvState } from "../env/state.ts";

/**
 * The suites a pipeline runs against an environment, each its own command (so each is tested
 * alone). The recovery drill needs a Cluster with spec.backup: it drills on the environment under
 * test when that has the backups component (nightly on Docker), else on one it starts (env pr
 * with backups).
 */
export const SUITE_NAMES = ["contract", "policy", "chaos", "load", "recovery"] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];
export const SUITES: Record<
  SuiteName,
  {
    script: string;
    command: string;
    /** A component the suite needs: an environment without it is not used, the suite starts its own. */
    needs?: string;
  }
> = {
  contract: { script: "test-contract", command: "test:contract" },
  policy: { script: "test-policy", command: "test:policy" },
  chaos: { script: "test-chaos", command: "test:chaos" },
  load: { script: "test-load", command: "test:load" },
  recovery: { script: "test-recovery", command: "test:recovery", needs: "backups" },
};

/** `--suites a,b`: known names, each once, in the order given. */
export function parseSuites(flag: string): SuiteName[] {
  const names = flag.split(",").map((s) => s.trim());
  const chosen = names.map((name) => oneOf("suites", name, SUITE_NAMES));
  return [...new Set(chosen)];
}

export interface SuiteResult {
  suite: SuiteName;
  /** The command as a user would type it. */
  command: string;
  ok: boolean;
  exitCode: number;
  seconds: number;
  /** The folder the suite wrote its report into, inside the run's. */
  report: string;
  /** Its last lines of output, for the summary of a failed suite. */
  tail: string[];
}

const TAIL_LINES = 40;

/**
 * Runs one suite's command against environment `name`, its output shown live with the suite's
 * name, its report written into `<runDir>/<suite>/`.
 */
export async function runSuite(suite: SuiteName, name: string, runDir: string): Promise<SuiteResult> {
  const { script, command } = SUITES[suite];
  const report = join(runDir, suite);
  const args = suiteArguments(suite, name, report, readEnvState(name)?.with ?? []);
  const began = performance.now();
  const child = execa(...entryPointCommand(script, args), { all: true, reject: false });
  const tail: string[] = [];
  for await (const line of child.iterable({ from: "all" })) {
    const text = String(line);
    console.log(`[${suite}] ${text}`);
    tail.push(text);
    if (tail.length > TAIL_LINES) tail.shift();
  }
  const { exitCode = 1 } = await child;
  return {
    suite,
    command: `pnpm ${command} ${args.join(" ")}`,
    ok: exitCode === 0,
    exitCode,
    seconds: (performance.now() - began) / 1000,
    report,
    tail,
  };
}

/** A suite's arguments: against environment `name` (brought up with `components`), or one of its own. */
export function suiteArguments(
  suite: SuiteName,
  name: string,
  report: string,
  components: readonly string[],
): string[] {
  const { needs } = SUITES[suite];
  const start = needs !== undefined && !components.includes(needs);
  return [...(start ? ["--start"] : ["--name", name]), "--report", report];
}

/** Runs suites one after another (they share the environment); every suite runs whatever the others did. */
export async function runSuites(
  suites: readonly SuiteName[],
  name: string,
  runDir: string,
): Promise<SuiteResult[]> {
  const results: SuiteResult[] = [];
  for (const suite of suites) results.push(await runSuite(suite, name, runDir));
  return results;
}
