import { freeLoopbackPort } from "../free-port.ts";
import { dockerMaybe } from "./cli.ts";
import { LoopbackOnly } from "./loopback.ts";
import { gatewayIn } from "./network.ts";
import { GenericContainer } from "./testcontainers.ts";

/**
 * An environment's workload: ports on loopback only, names resolved only on its network, and
 * created on its environment's network alone. Given aliases, testcontainers creates a container on
 * Docker's default bridge and connects it to the named network afterwards; from the default bridge
 * it could reach other environments' containers past their firewalls.
 */
export class WorkloadContainer extends LoopbackOnly(GenericContainer) {
  private soleNetwork?: { name: string; aliases: string[]; gateway?: string };
  private gatewayNames: string[] = [];

  /**
   * The only network the container joins, and its names there. Its gateway is looked up unless the
   * caller knows it (one docker process less per container).
   */
  withSoleNetwork(name: string, aliases: string[], gateway?: string): this {
    this.soleNetwork = { name, aliases, gateway };
    return this;
  }

  /** Names that resolve, in the container, to its network's gateway (the host's services there). */
  withGatewayNames(names: string[]): this {
    this.gatewayNames = names;
    return this;
  }

  override async start() {
    // Names the network does not know (a stopped pod's) are never asked of the host's resolvers:
    // the engine's DNS forwards them to the network's gateway, where the environment's supervisor
    // says at once that they do not exist (runtimes/docker/dns-answerer.ts). Without a supervisor
    // nothing answers there and the resolver gives up after 1 s per question (not 2 x 5 s).
    const gateway =
      this.soleNetwork && (this.soleNetwork.gateway ?? (await gatewayOf(this.soleNetwork.name)));
    this.hostConfig.Dns = [gateway || "127.0.0.1"];
    if (gateway && this.gatewayNames.length > 0)
      this.hostConfig.ExtraHosts = this.gatewayNames.map((name) => `${name}:${gateway}`);
    this.hostConfig.DnsOptions = ["timeout:1", "attempts:1"];
    if (this.soleNetwork) {
      const { name, aliases } = this.soleNetwork;
      this.withNetworkMode(name);
      this.createOpts.NetworkingConfig = { EndpointsConfig: { [name]: { Aliases: aliases } } };
    }
    // A host port chosen now, not by the engine: the engine hands out another one each time a
    // container starts, and a restarted pod (the supervisor's, like a kubelet's) must keep its
    // Service's address, or the environment's recorded endpoints go dead. Between the choice and
    // the engine's bind another process may take the port (a parallel run, a container given one
    // by the engine): then the container made is removed and the start made again with new ports.
    const chosen = Object.values(this.hostConfig.PortBindings ?? {})
      .flatMap((list) => list as { HostPort?: string }[])
      .filter((binding) => !binding.HostPort || binding.HostPort === "0");
    for (let attempt = 1; ; attempt++) {
      for (const binding of chosen) binding.HostPort = String(await freeLoopbackPort());
      this.created = undefined;
      try {
        return await super.start();
      } catch (error) {
        if (attempt === PORT_ATTEMPTS || chosen.length === 0 || !portTaken(error)) throw error;
        if (this.created) await dockerMaybe(["rm", "--force", "--volumes", this.created]);
      }
    }
  }

  private created?: string;

  protected override async containerCreated(id: string) {
    this.created = id;
  }
}

const PORT_ATTEMPTS = 5;

/** The engine's words when a published port is already bound (by a container or a process). */
export const portTaken = (error: unknown) =>
  /port is already allocated|address already in use/i.test(String((error as Error)?.message ?? error));

/**
 * The host's address on a network (its gateway). Asked each time: a network of the same name
 * made again has another one, and a stale address could route a question off the machine.
 */
const gatewayOf = async (network: string) => {
  const config = await dockerMaybe([
    "network",
    "inspect",
    "--format",
    "{{json (index .IPAM.Config 0)}}",
    network,
  ]);
  return config ? gatewayIn(JSON.parse(config) as { Gateway?: string; Subnet?: string }) : undefined;
};
