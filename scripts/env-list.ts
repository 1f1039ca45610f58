// pnpm env:list — every DevStack environment and test run that holds resources, on every runtime.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { printTable } from "../src/cli/table.ts";
import { age, timeLeft } from "../src/env/lifetime.ts";
import { allRuntimes } from "../src/runtimes/index.ts";

await runMain(async () => {
  parseFlags("env:list", process.argv.slice(2), {});
  const listings = (await Promise.all(allRuntimes().map((r) => r.list()))).flat();
  if (listings.length === 0) {
    console.log("no environments");
    return;
  }
  const now = new Date();
  printTable(
    ["NAME", "RUNTIME", "PURPOSE", "OWNER", "STATUS", "AGE", "TTL LEFT", "HOLDS", ""],
    listings.map((l) => [
      l.name,
      l.runtime,
      l.purpose,
      l.owner,
      l.status,
      l.createdAt ? age(l.createdAt, now) : "-",
      timeLeft(l.expires, now),
      l.holds,
      l.stale ? "stale: env:gc removes it" : "",
    ]),
  );
});
