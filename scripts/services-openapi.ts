// pnpm services:openapi [--check]
// Regenerates services/*/openapi.json from the route schemas; --check fails if any is stale.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { UserError } from "../src/errors.ts";
import { documentedServices, openApiFile, syncOpenApi } from "../src/services/openapi.ts";

await runMain(async () => {
  const { values } = parseFlags("services:openapi", process.argv.slice(2), {
    check: { type: "boolean", default: false },
  });
  const stale = await syncOpenApi({ check: values.check });
  if (values.check && stale.length > 0) {
    throw new UserError(
      `stale OpenAPI document(s): ${stale.map(openApiFile).join(", ")}`,
      "Run `pnpm services:openapi` and commit the result.",
    );
  }
  console.log(
    values.check
      ? `${documentedServices().length} OpenAPI document(s) up to date`
      : `wrote ${stale.length} changed document(s)`,
  );
});
