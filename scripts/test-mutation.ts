// pnpm test:mutation [ROOM...] [--force] [--concurrency 1|2]
// Mutation testing (StrykerJS, stryker.config.mjs) of the pure rooms against the unit tests: each
// room's code is changed one small way at a time (a mutant) and the tests that cover it run; a
// mutant no test notices "survived". Without ROOM, every room, one after another.
//
// Incremental: only mutants in code or tests changed since the room's last run are tested again
// (reports/mutation/ROOM/incremental.json); --force tests all of them. Per room it prints mutants,
// killed, survived, no coverage, timeout, score and wall time, then the mutants that survived; the
// full report is reports/mutation/ROOM/index.html. Exit 1 if a room scores below its minimum or
// Stryker fails (its log: reports/mutation/ROOM/stryker.log).
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { oneOf, parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { printTable } from "../src/cli/table.ts";
import { UserError } from "../src/errors.ts";
import { repoRoot } from "../src/paths.ts";

const USAGE = "usage: pnpm test:mutation [ROOM...] [--force] [--concurrency 1|2]";

interface Room {
  mutate: string[];
  minScore: number;
}
interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { mutants: Mutant[] }>;
}

/** Stryker's counts for one room; the score is Stryker's: detected / (detected + undetected). */
function summarize(report: Report) {
  const mutants = Object.entries(report.files).flatMap(([file, f]) => f.mutants.map((m) => ({ file, ...m })));
  const count = (status: string) => mutants.filter((m) => m.status === status).length;
  const killed = count("Killed");
  const timeout = count("Timeout");
  const survived = count("Survived");
  const noCoverage = count("NoCoverage");
  const valid = killed + timeout + survived + noCoverage;
  return {
    mutants: mutants.length,
    killed,
    survived,
    noCoverage,
    timeout,
    // Mutants that do not compile or crash the test run are not scored, as in Stryker's own figure.
    errors: count("CompileError") + count("RuntimeError"),
    score: valid === 0 ? 100 : (100 * (killed + timeout)) / valid,
    undetected: mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage"),
  };
}

await runMain(async () => {
  const { values, positionals } = parseFlags(
    "test:mutation",
    process.argv.slice(2),
    {
      force: { type: "boolean", default: false },
      concurrency: { type: "string", default: "2" },
      help: { type: "boolean", short: "h" },
    },
    { positionals: true },
  );
  if (values.help) {
    console.log(USAGE);
    return;
  }
  // The machine has two cores, shared with builds and containers.
  const concurrency = oneOf("concurrency", values.concurrency ?? "2", ["1", "2"]);
  const config = (await import(pathToFileURL(join(repoRoot, "stryker.config.mjs")).href)) as {
    rooms: Record<string, Room>;
  };
  const names = Object.keys(config.rooms);
  for (const name of positionals)
    if (!names.includes(name))
      throw new UserError(`test:mutation: unknown room '${name}'`, `rooms: ${names.join(", ")}`);

  const rows: string[][] = [];
  let failed = 0;
  for (const name of positionals.length > 0 ? positionals : names) {
    const room = config.rooms[name] as Room;
    const dir = join(repoRoot, "reports", "mutation", name);
    mkdirSync(dir, { recursive: true });
    const log = join(dir, "stryker.log");
    console.log(`${name}: mutating ${room.mutate.join(" ")} (log: ${relative(process.cwd(), log)})`);
    const began = performance.now();
    const child = execa(
      join(repoRoot, "node_modules", ".bin", "stryker"),
      ["run", "stryker.config.mjs", "--concurrency", concurrency, ...(values.force ? ["--force"] : [])],
      { cwd: repoRoot, env: { MUTATION_ROOM: name }, all: true, buffer: false, reject: false },
    );
    // Everything goes to the log; Stryker's progress lines are shown as they come.
    const lines: string[] = [];
    const file = createWriteStream(log);
    for await (const line of createInterface({ input: child.all })) {
      file.write(`${line}\n`);
      lines.push(line);
      if (/^Mutation testing \d+%/.test(line)) console.log(`  ${line}`);
    }
    file.end();
    const run = await child;
    const seconds = (performance.now() - began) / 1000;
    if (run.exitCode !== 0) {
      failed++;
      console.log(`✘ ${name}: Stryker failed (exit ${run.exitCode}); the end of its log:`);
      for (const line of lines.slice(-15)) console.log(`    ${line}`);
      rows.push([
        name,
        "-",
        "-",
        "-",
        "-",
        "-",
        "-",
        "failed",
        `≥ ${room.minScore} %`,
        `${seconds.toFixed(0)} s`,
      ]);
      continue;
    }
    const s = summarize(JSON.parse(readFileSync(join(dir, "mutation.json"), "utf8")) as Report);
    const ok = s.score >= room.minScore;
    if (!ok) failed++;
    console.log(
      `${ok ? "✔" : "✘"} ${name}: score ${s.score.toFixed(1)} % (minimum ${room.minScore} %), ${s.undetected.length} undetected, ${seconds.toFixed(0)} s; report ${relative(process.cwd(), join(dir, "index.html"))}`,
    );
    for (const m of s.undetected)
      console.log(
        `    ${m.status === "NoCoverage" ? "no coverage" : "survived"} ${m.file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}${m.replacement === undefined ? "" : ` -> ${m.replacement.replace(/\s+/g, " ").slice(0, 60)}`}`,
      );
    rows.push([
      name,
      String(s.mutants),
      String(s.killed),
      String(s.survived),
      String(s.noCoverage),
      String(s.timeout),
      String(s.errors),
      `${s.score.toFixed(1)} %`,
      `≥ ${room.minScore} %`,
      `${seconds.toFixed(0)} s`,
    ]);
  }
  console.log("");
  printTable(
    [
      "ROOM",
      "MUTANTS",
      "KILLED",
      "SURVIVED",
      "NO COVERAGE",
      "TIMEOUT",
      "ERRORS",
      "SCORE",
      "MINIMUM",
      "WALL TIME",
    ],
    rows,
  );
  if (failed > 0) process.exitCode = 1;
});
