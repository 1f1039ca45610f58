import { createHash } from "node:crypto";
import { waitForExit } from "../../docker/api.ts";
import { docker } from "../../docker/cli.ts";
import { lastLogLines } from "../../docker/logs.ts";
import type { WorkloadContainer } from "../../docker/workload-container.ts";
import { UserError } from "../../errors.ts";
import { LABEL } from "../../labels.ts";
import { containerName } from "./names.ts";
import { startedOnly } from "./probe.ts";
import type { ContainerPlan, InitContainerPlan } from "./translate.ts";

/** A pod's replica name for status lines: `user-service`, `user-service #2`. */
export const replicaName = (c: Pick<ContainerPlan, "workload" | "replica" | "pod" | "kind">) =>
  c.kind === "StatefulSet" ? c.pod : `${c.workload}${c.replica > 1 ? ` #${c.replica}` : ""}`;

/** What a pod's configuration is: its files (ConfigMap and Secret volumes) and its init containers. */
export const configDigest = (c: Pick<ContainerPlan, "files" | "volumes" | "init">) =>
  createHash("sha256")
    .update(JSON.stringify({ files: c.files, volumes: c.volumes, init: c.init }))
    .digest("hex")
    .slice(0, 16);

/** A container's files (ConfigMap and Secret volumes) and the pod's emptyDirs it mounts. */
export function withPodParts<T extends WorkloadContainer>(
  builder: T,
  part: Pick<ContainerPlan, "files" | "volumes">,
  emptyDirs: ReadonlyMap<string, string>,
): T {
  if (part.files.length > 0)
    builder.withCopyContentToContainer(
      part.files.map((f) => ({ content: f.content, target: f.path, mode: f.mode })),
    );
  if (part.volumes.length > 0)
    builder.withBindMounts(
      part.volumes.map((v) => ({
        source: emptyDirs.get(v.name) ?? v.name,
        target: v.path,
        mode: v.readOnly ? "ro" : "rw",
      })),
    );
  return builder;
}

/**
 * An init container: run to completion on the pod's network with the pod's emptyDirs, as the
 * kubelet runs one before the pod's container. A non-zero exit fails the start with its logs.
 */
export async function runInit(
  ctx: { name: string; network: string; gateway?: string; labels: Record<string, string> },
  c: ContainerPlan,
  init: InitContainerPlan,
  image: string,
  emptyDirs: ReadonlyMap<string, string>,
): Promise<void> {
  const name = `${containerName(ctx.name, c)}-init-${init.name}`;
  await docker(["rm", "--force", name], { reject: false });
  const { WorkloadContainer } = await import("../../docker/workload-container.ts");
  let builder = withPodParts(new WorkloadContainer(image), init, emptyDirs)
    .withName(name)
    .withLabels({ ...ctx.labels, [LABEL.workload]: c.workload })
    .withSoleNetwork(ctx.network, [], ctx.gateway)
    .withEnvironment(init.env)
    .withWaitStrategy(startedOnly);
  if (init.command) builder = builder.withEntrypoint(init.command);
  if (init.args) builder = builder.withCommand(init.args);
  await builder.start();
  const code = await waitForExit(name);
  if (code !== 0)
    throw new UserError(
      `init container '${init.name}' of ${replicaName(c)} exited with code ${code}`,
      `its last log lines:\n${(await lastLogLines(name)).replace(/^/gm, "  | ")}`,
    );
  await docker(["rm", "--force", name]);
}
