import { LoopbackOnly } from "./loopback.ts";
import { GenericContainer } from "./testcontainers.ts";

/**
 * An environment's workload: ports on loopback only, and created on its environment's network
 * alone. Given aliases, testcontainers creates a container on Docker's default bridge and connects
 * it to the named network afterwards; from the default bridge it could reach other environments'
 * containers past their firewalls.
 */
export class WorkloadContainer extends LoopbackOnly(GenericContainer) {
  private soleNetwork?: { name: string; aliases: string[] };

  /** The only network the container joins, and its names there. */
  withSoleNetwork(name: string, aliases: string[]): this {
    this.soleNetwork = { name, aliases };
    return this;
  }

  override async start() {
    if (this.soleNetwork) {
      const { name, aliases } = this.soleNetwork;
      this.withNetworkMode(name);
      this.createOpts.NetworkingConfig = { EndpointsConfig: { [name]: { Aliases: aliases } } };
    }
    return super.start();
  }
}
