// pnpm dev:seed [--name NAME] [--size small|medium|large] [--seed N]
import { oneOf, parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { checkEnvName } from "../src/env/names.ts";
import { readEnvState } from "../src/env/state.ts";
import { UserError } from "../src/errors.ts";
import { SEED_PASSWORD } from "../src/seed/accounts.ts";
import { SEED_SIZES } from "../src/seed/generate.ts";
import { checkSeed, seed } from "../src/seed/seed.ts";

const count = (n: number) => n.toLocaleString("en-US");

await runMain(async () => {
  const { values } = parseFlags("dev:seed", process.argv.slice(2), {
    name: { type: "string", default: "dev" },
    size: { type: "string", default: "small" },
    seed: { type: "string", default: "42" },
  });
  const name = checkEnvName(values.name ?? "dev");
  const size = oneOf("size", values.size ?? "small", SEED_SIZES);
  const seedValue = checkSeed(values.seed ?? "42");
  const state = readEnvState(name);
  if (state?.status !== "ready" || !state.endpoints.postgres)
    throw new UserError(`environment '${name}' is not up`, `Run \`pnpm dev:up --name ${name}\` first.`);

  console.log(`seeding environment '${name}': size ${size}, seed ${seedValue}`);
  const result = await seed(state.endpoints.postgres, {
    size,
    seed: seedValue,
    progress: (line) => console.log(`  ${line}`),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ECONNREFUSED" || error.code === "ECONNRESET")
      throw new UserError(
        `environment '${name}': its Postgres does not answer (${new URL(state.endpoints.postgres ?? "").host})`,
        `Run \`pnpm dev:up --name ${name}\` to bring it back up.`,
      );
    throw error;
  });
  const seconds = result.totalMs / 1000;
  if (!result.applied) {
    const when = result.alreadyAppliedAt?.toISOString() ?? "earlier";
    console.log(`nothing to do: size ${size}, seed ${seedValue} was already applied (${when})`);
    return;
  }
  const { users, courses, enrollments } = result.loaded;
  const rows = users + courses + enrollments;
  const removed = result.removed.users + result.removed.courses + result.removed.enrollments;
  if (removed > 0) console.log(`replaced an earlier seed (${count(removed)} rows removed)`);
  console.log(
    `loaded ${count(rows)} rows (${count(users)} users, ${count(courses)} courses, ${count(enrollments)} enrollments) in ${seconds.toFixed(1)} s: ${count(Math.round(rows / seconds))} rows/s`,
  );
  console.log(`log in as any seed user (user0@seed.azora.dev ...) with the password '${SEED_PASSWORD}'`);
});
