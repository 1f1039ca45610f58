// Ryuk's image cannot be pulled on registry-less machines, so DevStack does its own cleanup:
// everything carries DevStack labels, test runs remove what they made, and `env:gc` finds the rest.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";

export type { StartedTestContainer } from "testcontainers";
export { GenericContainer, Wait } from "testcontainers";
