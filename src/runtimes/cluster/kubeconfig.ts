import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { execa } from "execa";
import { UserError } from "../../errors.ts";
import { requireTool } from "../kind/tools.ts";

/**
 * Writes `file`: the user's kubeconfig (KUBECONFIG, else ~/.kube/config) cut down to `context`
 * alone, its credentials inlined (mode 0600). Every later command, the port-forward keeper's
 * included, uses it: a context switched or renamed in the user's kubeconfig meanwhile cannot send
 * an environment's commands to another cluster.
 */
export async function snapshotContext(context: string, file: string): Promise<void> {
  const kubectl = requireTool("kubectl");
  const view = await execa(kubectl, ["config", "view", "--minify", "--flatten", "--context", context], {
    reject: false,
  });
  if (view.exitCode !== 0 || !view.stdout.includes("current-context")) {
    const known = await execa(kubectl, ["config", "get-contexts", "--output", "name"], { reject: false });
    const names = known.stdout.split("\n").filter(Boolean);
    throw new UserError(
      `--context: no context '${context}' in the kubeconfig (${process.env.KUBECONFIG ?? "~/.kube/config"})`,
      names.length > 0
        ? `known contexts: ${names.join(", ")}`
        : "it has no contexts: point KUBECONFIG at the cluster's kubeconfig",
    );
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, view.stdout, { mode: 0o600 });
  chmodSync(file, 0o600);
}
