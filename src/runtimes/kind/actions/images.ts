import { imagesRecord, resolveImages } from "../../../images/resolve.ts";
import { type Command, placeholder } from "../tools.ts";
import type { KindUpContext } from "./context.ts";
import { commandAction } from "./run-commands.ts";

/** The runnable reference of an image-map entry once resolved; its name in a plan before. */
const refOf = (ctx: KindUpContext, logical: string) =>
  ctx.resolved?.get(logical)?.ref ?? placeholder(`${logical} image`);

/**
 * Every image the manifests name, resolved through the image map (local, upstream or recipe, as on
 * Docker), tagged with the reference the manifest uses and loaded into every node's containerd:
 * nodes pull nothing.
 */
export const images = commandAction({
  name: "images",
  commands(ctx) {
    const tags: Command[] = ctx.images
      .filter((i) => refOf(ctx, i.logical) !== i.reference)
      .map((i) => ({ tool: "docker", args: ["tag", refOf(ctx, i.logical), i.reference] }));
    const load: Command = {
      tool: "kind",
      args: [
        "load",
        "docker-image",
        "--name",
        ctx.cluster,
        ...ctx.images.map((i) => i.reference),
        refOf(ctx, "db-init"),
      ],
    };
    return [...tags, load];
  },
  async prepare(ctx) {
    ctx.resolved = await resolveImages({
      names: [...new Set([...ctx.images.map((i) => i.logical), "db-init"])],
      silent: true,
    });
    ctx.state.images = imagesRecord(ctx.resolved.values());
  },
  line: (ctx) =>
    `${ctx.images.length + 1} image(s) loaded into ${ctx.clusterConfig.nodes.length} node(s)${[
      ...(ctx.resolved?.values() ?? []),
    ]
      .filter((i) => i.how !== "up to date")
      .map((i) => `; ${i.name} ${i.how}`)
      .join("")}`,
});

export { refOf };
