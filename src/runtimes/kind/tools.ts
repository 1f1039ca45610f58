import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { execa } from "execa";
import { quote } from "zx";
import { UserError } from "../../errors.ts";
import { repoRoot } from "../../paths.ts";

/**
 * The commands the Kind runtime runs, as data: `--dry-run` prints exactly these, `up` runs exactly
 * these, so the plan a test asserts is the plan that runs.
 */
export interface Command {
  tool: "kind" | "kubectl" | "docker";
  args: string[];
  /** Variables set for this command alone. */
  env?: Record<string, string>;
  /** What goes to its standard input, and how the plan names it (the objects, not their secrets). */
  input?: { text: string; shown: string };
}

export const kubectl = (kubeconfig: string, args: string[], input?: Command["input"]): Command => ({
  tool: "kubectl",
  args: ["--kubeconfig", kubeconfig, ...args],
  ...(input ? { input } : {}),
});

/** How a plan names a value known only once the action runs, e.g. `<user-service image>`. */
export const placeholder = (what: string) => `<${what}>`;
const shown = (arg: string) => (/^[\w@%+=:,./-]*(<[\w -]+>[\w@%+=:,./-]*)+$/.test(arg) ? arg : quote(arg));

/** The command as a shell line: `VAR=value tool 'quoted args' < what`. */
export function showCommand(command: Command): string {
  const env = Object.entries(command.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
  const line = [...env, command.tool, ...command.args.map(shown)].join(" ");
  return command.input ? `${line} < ${command.input.shown}` : line;
}

const TOOL_HINTS: Record<Command["tool"], string> = {
  kind: "install kind v0.33.0 (go install sigs.k8s.io/kind@v0.33.0) into .tools/bin or onto PATH",
  kubectl: "install kubectl 1.34 into .tools/bin or onto PATH",
  docker: "install the docker CLI (./devstack bootstraps it)",
};

/** Where a tool is: the project's .tools/bin first, then PATH; undefined if nowhere. */
export function findTool(tool: Command["tool"]): string | undefined {
  const dirs = [
    join(repoRoot, ".tools", "bin"),
    ...(process.env.PATH ?? "").split(delimiter).filter(Boolean),
  ];
  return dirs.map((dir) => join(dir, tool)).find((file) => existsSync(file));
}

export function requireTool(tool: Command["tool"]): string {
  const file = findTool(tool);
  if (!file)
    throw new UserError(`the Kind runtime needs \`${tool}\`, which is not installed`, TOOL_HINTS[tool]);
  return file;
}

/** Runs a command; a failure names the command and carries what it printed. */
export async function runCommand(command: Command, { timeoutMs = 600_000 } = {}): Promise<string> {
  const result = await execa(requireTool(command.tool), command.args, {
    env: command.env,
    input: command.input?.text,
    reject: false,
    all: true,
    timeout: timeoutMs,
  });
  if (result.exitCode !== 0 || result.timedOut) {
    const why = result.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit ${result.exitCode}`;
    throw new UserError(
      `\`${showCommand(command)}\` failed (${why}):\n${(result.all ?? "").trim().slice(-2_000)}`,
    );
  }
  return result.stdout;
}
