import { KIND_CLUSTER_LABEL } from "../runtimes/kind/names.ts";
import { docker } from "./cli.ts";
import { removeNetwork } from "./network.ts";

export type ResourceKind = "container" | "network" | "volume";

export interface Resource {
  kind: ResourceKind;
  id: string;
  name: string;
  labels: Record<string, string>;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text ? text.split(",") : []) {
    const eq = pair.indexOf("=");
    if (eq > 0) labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

/** Every container, network and volume carrying `label` (optionally `label=value`). */
export async function listResources(filter: string): Promise<Resource[]> {
  const format = "{{.ID}}\t{{.Names}}\t{{.Labels}}";
  const listings: [ResourceKind, string[]][] = [
    ["container", ["ps", "--all", "--no-trunc", "--filter", `label=${filter}`, "--format", format]],
    [
      "network",
      [
        "network",
        "ls",
        "--no-trunc",
        "--filter",
        `label=${filter}`,
        "--format",
        "{{.ID}}\t{{.Name}}\t{{.Labels}}",
      ],
    ],
    [
      "volume",
      ["volume", "ls", "--filter", `label=${filter}`, "--format", "{{.Name}}\t{{.Name}}\t{{.Labels}}"],
    ],
  ];
  const found: Resource[] = [];
  // The three listings at once: each is a docker process, and every up, down and gc starts here.
  const outputs = await Promise.all(listings.map(([, args]) => docker(args)));
  for (const [i, [kind]] of listings.entries()) {
    for (const line of (outputs[i] ?? "").split("\n").filter(Boolean)) {
      const [id = "", name = "", labels = ""] = line.split("\t");
      const parsed = parseLabels(labels);
      // A Kind node inherits its image's DevStack labels; it is the Kind runtime's, not a build's.
      if (kind === "container" && parsed[KIND_CLUSTER_LABEL] !== undefined) continue;
      found.push({ kind, id, name, labels: parsed });
    }
  }
  return found;
}

/**
 * Removes resources, containers first (networks and volumes are in use until they are gone). A
 * network that cannot go fails the call, naming what holds it, after everything else was removed.
 */
export async function removeResources(resources: Resource[], { keepVolumes = false } = {}): Promise<void> {
  const ids = (kind: ResourceKind) => resources.filter((r) => r.kind === kind).map((r) => r.id);
  const containers = ids("container");
  if (containers.length > 0) await docker(["rm", "--force", "--volumes", ...containers], { reject: false });
  const stuck: unknown[] = [];
  for (const network of resources.filter((r) => r.kind === "network"))
    await removeNetwork(network.name).catch((error: unknown) => stuck.push(error));
  const volumes = ids("volume");
  if (volumes.length > 0 && !keepVolumes)
    await docker(["volume", "rm", "--force", ...volumes], { reject: false });
  if (stuck.length > 0) throw stuck[0];
}
