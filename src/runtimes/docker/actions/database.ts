import { migrate } from "../../../db/migrate.ts";
import { seed } from "../../../seed/seed.ts";
import type { Action } from "../../actions.ts";
import type { DockerUpContext } from "./context.ts";

const databaseUrl = (ctx: DockerUpContext) => ctx.state.endpoints.postgres;

/** The schema, by the same migrations every runtime applies (services/db/migrations). */
export const migrations: Action<DockerUpContext> = {
  name: "migrations",
  plan: () => ["node-pg-migrate up: services/db/migrations against the -rw service's published port"],
  async execute(ctx) {
    const url = databaseUrl(ctx);
    if (!url) return "no database in the manifests";
    const applied = await migrate(url);
    return applied.length === 0 ? "schema up to date" : `applied ${applied.join(", ")}`;
  },
};

/** The env file's seed (deterministic, idempotent, all-or-nothing: src/seed). */
export const seedData: Action<DockerUpContext> = {
  name: "seed",
  plan: (ctx) => {
    const { size, seed: value } = ctx.prepared.envFile.seed;
    return [
      size === "none"
        ? "none (the env file's seed size)"
        : `load the ${size} seed ${value} (skipped if loaded)`,
    ];
  },
  async execute(ctx) {
    const { size, seed: value } = ctx.prepared.envFile.seed;
    const url = databaseUrl(ctx);
    if (ctx.skipSeed) return "not loaded: the data was restored from a backup";
    if (size === "none" || !url) return "none";
    const result = await seed(url, { size, seed: value });
    return result.applied ? `${size} seed ${value} loaded` : `${size} seed ${value} already loaded`;
  },
};
