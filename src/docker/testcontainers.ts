// Ryuk's image cannot be pulled on registry-less machines, so DevStack does its own cleanup:
// everything carries DevStack labels, test runs remove what they made, and `env:gc` finds the rest.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
// Reach containers through loopback only. Without this, testcontainers decides it runs inside a
// container when /.dockerenv exists (as on our CI VMs) and talks to the bridge gateway address.
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";

export type { StartedTestContainer } from "testcontainers";
export { GenericContainer, getContainerRuntimeClient, Wait } from "testcontainers";
