import { imagesRecord, resolveImages } from "../../../images/resolve.ts";
import type { Action } from "../../actions.ts";
import type { DockerUpContext } from "./context.ts";

const imagesOf = (ctx: DockerUpContext) => [
  ...new Set([...ctx.containers.map((c) => c.image), "supervisor"]),
];

/** Every image the environment runs: local, upstream or built from its recipe (images/images.yaml). */
export const images: Action<DockerUpContext> = {
  name: "images",
  plan: (ctx) => [`resolve ${imagesOf(ctx).join(", ")} (local, else upstream, else the offline recipe)`],
  async execute(ctx) {
    ctx.images = await resolveImages({ names: imagesOf(ctx), silent: true });
    ctx.state.images = imagesRecord(ctx.images.values());
    const built = [...ctx.images.values()].filter((i) => i.how !== "up to date");
    return `${ctx.images.size} resolved${built.length > 0 ? `; ${built.map((i) => `${i.name} ${i.how}`).join(", ")}` : ""}`;
  },
};
