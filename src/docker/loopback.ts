import type { GenericContainer } from "testcontainers";

// biome-ignore lint/suspicious/noExplicitAny: a mixin constructor must accept any arguments
type ContainerClass = new (...args: any[]) => GenericContainer;

/**
 * Publishes a container's ports on 127.0.0.1 only (testcontainers binds every interface), so a dev
 * database with a generated password is never reachable from the network the laptop is on.
 */
export function LoopbackOnly<T extends ContainerClass>(Base: T): T {
  return class extends Base {
    override async start() {
      // hostConfig is protected in GenericContainer; this subclass is allowed to touch it.
      const bindings = (
        this as unknown as { hostConfig: { PortBindings?: Record<string, { HostIp?: string }[]> } }
      ).hostConfig.PortBindings;
      for (const list of Object.values(bindings ?? {}))
        for (const binding of list) binding.HostIp = "127.0.0.1";
      return super.start();
    }
  } as T; // same interface as Base; only the bindings differ
}
