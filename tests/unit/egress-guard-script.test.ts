import { describe, expect, it } from "vitest";
import { egressGuardScript, envOfGuard, guardTable } from "../../src/firewall/egress-guard.ts";

// The guard's rules, written out by hand: one table per environment replaced in one transaction, a
// forward hook ahead of Docker's chains, and one drop for whatever leaves the bridge elsewhere.
describe("the egress guard's nftables script", () => {
  it("drops what comes in on the bridge and would leave by another interface, and nothing else", () => {
    expect(egressGuardScript("pr-7", "br-0123456789ab")).toBe(
      [
        "table inet devstackguard_pr_7",
        "delete table inet devstackguard_pr_7",
        "table inet devstackguard_pr_7 {",
        "  chain forward {",
        "    type filter hook forward priority filter - 20; policy accept;",
        `    iifname "br-0123456789ab" oifname != "br-0123456789ab" counter drop comment "nothing from pr-7's nodes leaves this machine"`,
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("has a table of its own that Docker's NetworkPolicy tables (devstack_) and their env:gc never match", () => {
    expect(guardTable("my-env")).toBe("devstackguard_my_env");
    expect(guardTable("my-env").startsWith("devstack_")).toBe(false);
    expect(envOfGuard(guardTable("my-env"))).toBe("my-env");
  });

  it.each(["", "br 0", 'br"0', "a-name-longer-than-15"])("refuses %j as an interface name", (bridge) => {
    expect(() => egressGuardScript("dev", bridge)).toThrow(`'${bridge}' is not a Linux interface name`);
  });
});
