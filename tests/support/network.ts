import { docker } from "../../src/docker/cli.ts";
import { labelArgs } from "../../src/labels.ts";
import { testLabels } from "./labels.ts";

/** A labelled user-defined bridge network for one test file (DNS aliases work on it). */
export async function createTestNetwork(
  name: string,
): Promise<{ name: string; remove: () => Promise<void> }> {
  const labels = testLabels();
  await docker(["network", "create", ...labelArgs(labels), name]);
  return { name, remove: async () => void (await docker(["network", "rm", name], { reject: false })) };
}
