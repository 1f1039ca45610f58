import { describe, expect, it } from "vitest";
import { parseRegistry, registryRef, versionOf } from "../../src/images/registry.ts";

describe("pushing images to a registry", () => {
  it("takes HOST[:PORT] and refuses a scheme, a path or a bad port, naming the flag", () => {
    expect(parseRegistry("127.0.0.1:5001")).toBe("127.0.0.1:5001");
    expect(parseRegistry("Registry.Example.com")).toBe("registry.example.com");
    for (const bad of ["http://127.0.0.1:5001", "127.0.0.1:5001/azora", "host:0", "host:70000", "", "-host"])
      expect(() => parseRegistry(bad), bad).toThrow(
        `--registry: expected HOST[:PORT] of a registry (e.g. 127.0.0.1:5001 or registry.example.com), got '${bad}'`,
      );
  });

  it("tags an image by its id under azora-devstack/, whatever its local reference", () => {
    const id = "sha256:4be39b9684cf0e3b7f3a41bb5a6d8f06c9b1f8a1d2f2b5d2ab8c8a1f3e7d9c01";
    expect(registryRef("127.0.0.1:5001", "postgres", id)).toBe(
      "127.0.0.1:5001/azora-devstack/postgres:4be39b9684cf",
    ); // After the version the map names: CloudNativePG reads a Cluster's PostgreSQL version from the tag.
    expect(registryRef("r:5000", "cnpg-postgres", id, "17.5-standard-bookworm")).toBe(
      "r:5000/azora-devstack/cnpg-postgres:17.5-standard-bookworm-4be39b9684cf",
    );
  });

  it("takes the version from the entry's upstream tag, else its first alias's, never `latest` or a port", () => {
    expect(versionOf({ upstream: "pgvector/pgvector:0.8.0-pg17" })).toBe("0.8.0-pg17");
    expect(versionOf({ aliases: ["ghcr.io/cloudnative-pg/postgresql:17.5-standard-bookworm"] })).toBe(
      "17.5-standard-bookworm",
    );
    expect(versionOf({ upstream: "registry.example:5000/team/app@sha256:abc" })).toBeUndefined();
    expect(versionOf({ upstream: "registry.example:5000/team/app:2.1@sha256:abc" })).toBe("2.1");
    expect(versionOf({ upstream: "busybox:latest" })).toBeUndefined();
    expect(versionOf({})).toBeUndefined();
  });
});
