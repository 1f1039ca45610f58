import { describe, expect, it } from "vitest";
import { applyScript, hostNft, listTables, removeTable, tableText } from "../../src/firewall/nft.ts";
import { dockerNft } from "../../src/firewall/runner.ts";
import { compileFirewall } from "../../src/netpol/nftables.ts";
import { image } from "../support/labels.ts";

// Where the developer is not root, or Docker runs in a VM (Docker Desktop), `nft` runs in a
// throwaway container in the Docker host's network namespace. Here that namespace is this machine's,
// so what the container does is checked with the host's own `nft`.
describe("nft through a container in the Docker host's network namespace", () => {
  it("applies, lists, shows and removes a table exactly as the host's nft sees it", async () => {
    const nft = dockerNft(image("node-nft"));
    const env = `runner-${process.pid}`;
    // A bridge name no interface has: the table filters nothing.
    const firewall = compileFirewall(
      env,
      { bridge: "br-nonexistent" },
      {
        pods: [{ namespace: "x", name: "a", podIP: "10.250.1.2", ports: [{ containerPort: 80 }] }],
      },
    );
    try {
      await applyScript(firewall.script, "the runner test", nft);
      expect(await listTables(hostNft)).toContain(firewall.table);
      expect(await listTables(nft)).toContain(firewall.table);
      expect(await tableText(firewall.table, nft)).toContain(
        `comment "azora devstack env ${env}, bridge br-nonexistent"`,
      );
      await expect(applyScript("table inet broken {", "a broken script", nft)).rejects.toThrow(
        /could not apply the firewall rules of a broken script: .*syntax error/,
      );
      expect(await removeTable(firewall.table, nft)).toBe(true);
      expect(await listTables(hostNft)).not.toContain(firewall.table);
    } finally {
      await removeTable(firewall.table, hostNft);
    }
  });
});
