import { describe, expect, it } from "vitest";
import { firstHost, gatewayIn, hostRoutes, overlapping, rangeClashes } from "../../src/docker/network.ts";

describe("placing a network clear of other ranges", () => {
  it("tells overlapping CIDRs from adjacent and disjoint ones", () => {
    expect(overlapping("192.168.240.0/20", "192.168.0.0/16")).toBe(true); // inside
    expect(overlapping("10.96.0.0/16", "10.0.0.0/8")).toBe(true); // around
    expect(overlapping("172.18.0.0/16", "172.18.255.255/32")).toBe(true); // last address
    expect(overlapping("172.18.0.0/16", "172.19.0.0/16")).toBe(false); // adjacent
    expect(overlapping("172.18.0.0/16", "192.168.0.0/16")).toBe(false);
    expect(overlapping("10.0.0.1/8", "10.255.0.0/16")).toBe(true); // host bits ignored
  });

  it("puts a network's gateway on its first host address, as the engine does", () => {
    expect(firstHost("10.200.0.0/16")).toBe("10.200.0.1");
    expect(firstHost("172.31.0.0/16")).toBe("172.31.0.1");
    expect(firstHost("192.168.250.128/25")).toBe("192.168.250.129");
  });

  it("takes a network's gateway from its IPAM configuration, else the subnet's first host", () => {
    expect(gatewayIn({ Subnet: "10.201.0.0/16", Gateway: "10.201.7.7" })).toBe("10.201.7.7");
    expect(gatewayIn({ Subnet: "10.201.0.0/16" })).toBe("10.201.0.1"); // made with --subnet alone
    expect(gatewayIn({ Subnet: "10.201.0.0/16", Gateway: "" })).toBe("10.201.0.1");
    expect(gatewayIn({})).toBeUndefined();
    expect(gatewayIn(undefined)).toBeUndefined();
  });

  it("reads the routes of /proc/net/route, leaving the default route out", () => {
    const table = [
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
      "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
      "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
      "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
      "br-4a9d\t00F0A8C0\t00000000\t0001\t0\t0\t0\t00F0FFFF\t0\t0\t0",
    ].join("\n");
    expect(hostRoutes(table)).toEqual([
      { subnet: "172.17.0.0/16", device: "docker0" },
      { subnet: "192.0.2.0/24", device: "eth0" },
      { subnet: "192.168.240.0/20", device: "br-4a9d" },
    ]);
  });

  it("names each network or route that overlaps a cluster's pod or Service range", () => {
    const taken = [
      { subnet: "172.17.0.0/16", by: "Docker network bridge" },
      { subnet: "192.168.0.0/20", by: "Docker network azora-pr-7" },
      { subnet: "10.96.128.0/24", by: "a route via tun0" },
    ];
    expect(rangeClashes(["192.168.0.0/16", "10.96.0.0/16"], taken)).toEqual([
      "192.168.0.0/16 overlaps Docker network azora-pr-7 (192.168.0.0/20)",
      "10.96.0.0/16 overlaps a route via tun0 (10.96.128.0/24)",
    ]);
    expect(rangeClashes(["192.168.0.0/16"], taken.slice(0, 1))).toEqual([]);
  });
});
