import { type EnvState, envStateSchema } from "../../src/env/state.ts";

/**
 * An environment's record for a test: the fields it names, the rest as the schema defaults them
 * (so a field added to the record does not touch every test that makes one).
 */
export const envState = (fields: Partial<EnvState> & Pick<EnvState, "name">): EnvState =>
  envStateSchema.parse({
    status: "ready",
    run: "h:1:1",
    createdAt: "2026-12-01T00:00:00.000Z",
    expiresAt: "2026-12-02T00:00:00.000Z",
    ports: {},
    secrets: {},
    ...fields,
  });
