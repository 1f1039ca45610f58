import { imagesRecord, resolveImages } from "../../../images/resolve.ts";
import { imageNames } from "../objects.ts";
import { type Command, placeholder } from "../tools.ts";
import type { KindUpContext, KubeUpContext } from "./context.ts";
import { commandAction } from "./run-commands.ts";

/**
 * The nodes the overlay's and the operator's pods can run on: the workers (kind taints the control
 * plane), or the control plane when it is the only node. Their images are loaded there alone:
 * loading is most of the time `up` spends on images.
 */
export const workloadNodes = (ctx: KindUpContext): string[] => {
  const workers = ctx.clusterConfig.nodes
    .filter((n) => n.role === "worker")
    .map((_, i) => `${ctx.cluster}-worker${i === 0 ? "" : i + 1}`);
  return workers.length > 0 ? workers : [`${ctx.cluster}-control-plane`];
};

/** `docker tag` of a local image under the reference a manifest uses (none if it is that already). */
const tagAs = (image: string, reference: string): Command[] =>
  image === reference ? [] : [{ tool: "docker", args: ["tag", image, reference] }];

/** `kind load docker-image` of references into a cluster's nodes given, or into every node. */
export const kindLoad = (cluster: string, references: string[], nodes?: string[]): Command => ({
  tool: "kind",
  args: [
    "load",
    "docker-image",
    "--name",
    cluster,
    ...(nodes ? ["--nodes", nodes.join(",")] : []),
    ...references,
  ],
});

/**
 * An image DevStack installs itself (not named by the overlay) into the nodes (all by default) under
 * the reference its manifest uses: tagged so from the local image resolved for it, then loaded.
 */
export const loadImage = (
  ctx: KindUpContext,
  local: string | undefined,
  reference: string,
  logical: string,
  nodes?: string[],
): Command[] => [
  ...tagAs(local ?? placeholder(`${logical} image`), reference),
  kindLoad(ctx.cluster, [reference], nodes),
];

/** The runnable reference of an image-map entry once resolved; its name in a plan before. */
const refOf = (ctx: KubeUpContext, logical: string) =>
  ctx.resolved?.get(logical)?.ref ?? placeholder(`${logical} image`);

/**
 * Every image the manifests name, resolved through the image map (local, upstream or recipe, as on
 * Docker), tagged with the reference the manifest uses and loaded into the containerd of every node
 * that runs workloads: nodes pull nothing.
 */
export const images = commandAction({
  name: "images",
  commands: (ctx) => [
    ...ctx.images.flatMap((i) => tagAs(refOf(ctx, i.logical), i.reference)),
    kindLoad(ctx.cluster, [...ctx.images.map((i) => i.reference), refOf(ctx, "db-init")], workloadNodes(ctx)),
  ],
  async prepare(ctx) {
    ctx.resolved = await resolveImages({
      names: imageNames(ctx.images),
      silent: true,
    });
    ctx.state.images = imagesRecord(ctx.resolved.values());
  },
  line: (ctx) =>
    `${ctx.images.length + 1} image(s) loaded into ${workloadNodes(ctx).join(", ")}${[
      ...(ctx.resolved?.values() ?? []),
    ]
      .filter((i) => i.how !== "up to date")
      .map((i) => `; ${i.name} ${i.how}`)
      .join("")}`,
});

export { refOf };
