import { LoopbackOnly } from "./loopback.ts";
import { GenericContainer } from "./testcontainers.ts";

/**
 * An environment's workload: ports on loopback only, names resolved only on its network, and
 * created on its environment's network alone. Given aliases, testcontainers creates a container on
 * Docker's default bridge and connects it to the named network afterwards; from the default bridge
 * it could reach other environments' containers past their firewalls.
 */
export class WorkloadContainer extends LoopbackOnly(GenericContainer) {
  private soleNetwork?: { name: string; aliases: string[] };

  /** The only network the container joins, and its names there. */
  withSoleNetwork(name: string, aliases: string[]): this {
    this.soleNetwork = { name, aliases };
    return this;
  }

  override async start() {
    // Names the network does not know (a stopped pod's) are never asked of the host's resolvers:
    // the engine's DNS forwards them to the container's own loopback, where nothing answers, and
    // the resolver gives up after 1 s (its default is 2 x 5 s: a replica looking up a dead
    // primary's name held a failover up by seconds).
    this.hostConfig.Dns = ["127.0.0.1"];
    this.hostConfig.DnsOptions = ["timeout:1", "attempts:1"];
    if (this.soleNetwork) {
      const { name, aliases } = this.soleNetwork;
      this.withNetworkMode(name);
      this.createOpts.NetworkingConfig = { EndpointsConfig: { [name]: { Aliases: aliases } } };
    }
    return super.start();
  }
}
