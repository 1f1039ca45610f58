import { describe, expect, it } from "vitest";
import { fullReference, preloadIdentity } from "../../src/images/preload.ts";

describe("images carried inside another image", () => {
  it("spells references as containerd does: Docker Hub and library/ written out", () => {
    expect(fullReference("azora-devstack/etcd:0123abcd")).toBe("docker.io/azora-devstack/etcd:0123abcd");
    expect(fullReference("redis:8.0")).toBe("docker.io/library/redis:8.0");
    expect(fullReference("registry.k8s.io/pause:3.10.1")).toBe("registry.k8s.io/pause:3.10.1");
    expect(fullReference("localhost/x:1")).toBe("localhost/x:1");
    expect(fullReference("127.0.0.1:5000/x:1")).toBe("127.0.0.1:5000/x:1");
    expect(fullReference("registry.k8s.io/coredns/coredns:v1.12.1")).toBe(
      "registry.k8s.io/coredns/coredns:v1.12.1",
    );
  });

  it("identifies the preloads by image id and names, in any alias order", () => {
    const one = { name: "pause", ref: "azora-devstack/pause:1", id: "sha256:aa", aliases: ["b", "a"] };
    const identity = preloadIdentity([one]);
    expect(identity).toBe("pause=sha256:aa[a,b]");
    expect(preloadIdentity([{ ...one, aliases: ["a", "b"] }])).toBe(identity);
    expect(preloadIdentity([{ ...one, id: "sha256:bb" }])).not.toBe(identity);
    expect(preloadIdentity([{ ...one, aliases: ["a"] }])).not.toBe(identity);
  });
});
