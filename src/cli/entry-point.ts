import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../paths.ts";

// tsx's loader by absolute URL, so the command works from any working directory.
const tsxLoader = pathToFileURL(createRequire(join(repoRoot, "package.json")).resolve("tsx")).href;

/**
 * The command that runs an entry point (scripts/NAME.ts, or DIR/NAME.ts when given a folder) the way
 * package.json does: one Node process with tsx as its loader. tsx's own CLI would run the script in
 * a child and SIGKILL it when it has not confirmed a relayed SIGINT within about 60 ms, cutting a
 * Ctrl-C cleanup short on a loaded machine.
 */
export function entryPointCommand(script: string, args: readonly string[] = []): [string, string[]] {
  const file = script.includes("/") ? `${script}.ts` : join("scripts", `${script}.ts`);
  return [process.execPath, ["--import", tsxLoader, join(repoRoot, file), ...args]];
}
