import { describe, expect, it } from "vitest";
import { parseRegistry, registryRef } from "../../src/images/registry.ts";

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
    );
  });
});
