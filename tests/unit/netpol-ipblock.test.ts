import { describe, expect, it } from "vitest";
import { type Cidr, exceptProblem, IpBlock, ipFamily, parseCidr } from "../../src/netpol/ipblock.ts";

// ipBlock peers as Go's net package reads them (ParseCIDR, IPNet.Contains, To4): the cases are
// written from its documentation and from RFC 4291's text forms of IPv6 addresses.

const cidr = (text: string) => {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
};
const block = (text: string, ...except: string[]) => new IpBlock(cidr(text), except.map(cidr));
const inside = (b: IpBlock, ...addresses: string[]) => addresses.filter((a) => b.contains(a));

describe("CIDR syntax", () => {
  it("reads IPv4 and IPv6 CIDRs with a prefix from 0 to the address's width", () => {
    expect(parseCidr("10.0.0.0/16")).toEqual({
      text: "10.0.0.0/16",
      address: "10.0.0.0",
      prefix: 16,
      family: "ipv4",
    });
    expect(parseCidr("fd00::/64")).toEqual({
      text: "fd00::/64",
      address: "fd00::",
      prefix: 64,
      family: "ipv6",
    });
    for (const ok of ["0.0.0.0/0", "10.0.0.1/32", "::/0", "fd00::1/128"])
      expect(typeof parseCidr(ok)).toBe("object");
  });

  it("says what is wrong with anything else", () => {
    expect(parseCidr("10.0.0.0")).toBe(
      "'10.0.0.0' is not a CIDR (expected ADDRESS/PREFIX, e.g. 10.0.0.0/16 or fd00::/64)",
    );
    expect(parseCidr("10.0.0/8")).toBe("'10.0.0/8' is not a CIDR: '10.0.0' is not an IPv4 or IPv6 address");
    for (const bad of [
      "10.0.0.0/33",
      "10.0.0.0/08",
      "10.0.0.0/",
      "10.0.0.0/-1",
      "10.0.0.0/1/2",
      "10.0.0.0/ 8",
    ])
      expect(parseCidr(bad), bad).toBe(
        `'${bad}' is not a CIDR: the prefix length must be an integer from 0 to 32`,
      );
    expect(parseCidr("fd00::/129")).toBe(
      "'fd00::/129' is not a CIDR: the prefix length must be an integer from 0 to 128",
    );
  });

  it("a slash in first place is a CIDR without its address, not one without a prefix", () => {
    expect(parseCidr("/16")).toBe("'/16' is not a CIDR: '' is not an IPv4 or IPv6 address");
  });

  it("tells the address families apart", () => {
    expect([
      ipFamily("10.0.0.1"),
      ipFamily("::1"),
      ipFamily("::ffff:10.0.0.1"),
      ipFamily("10.0.0.256"),
    ]).toEqual(["ipv4", "ipv6", "ipv6", undefined]);
  });
});

describe("an ipBlock", () => {
  it("holds the addresses of its CIDR, less those of its excepts", () => {
    const b = block("10.0.0.0/8", "10.1.0.0/16", "10.2.3.4/32");
    expect(
      inside(
        b,
        "10.0.0.0",
        "10.0.0.1",
        "10.255.255.255",
        "10.1.0.0",
        "10.1.255.255",
        "10.2.3.4",
        "10.2.3.5",
        "10.2.3.3",
        "9.255.255.255",
        "11.0.0.0",
      ),
    ).toEqual(["10.0.0.0", "10.0.0.1", "10.255.255.255", "10.2.3.5", "10.2.3.3"]);
    expect(inside(block("10.0.0.5/32"), "10.0.0.4", "10.0.0.5", "10.0.0.6")).toEqual(["10.0.0.5"]);
    expect(inside(block("192.168.1.0/31"), "192.168.1.0", "192.168.1.1", "192.168.1.2")).toEqual([
      "192.168.1.0",
      "192.168.1.1",
    ]);
  });

  it("ignores host bits set in a CIDR, as Go's ParseCIDR does", () => {
    expect(inside(block("10.0.0.1/8", "10.9.9.9/16"), "10.200.0.1", "10.9.0.1", "11.0.0.1")).toEqual([
      "10.200.0.1",
    ]);
  });

  it("never holds an address of the other family: 0.0.0.0/0 is not ::/0", () => {
    expect(inside(block("0.0.0.0/0"), "1.2.3.4", "255.255.255.255", "0.0.0.0", "::1", "fd00::1")).toEqual([
      "1.2.3.4",
      "255.255.255.255",
      "0.0.0.0",
    ]);
    expect(inside(block("::/0"), "::1", "fd00::1", "10.0.0.1")).toEqual(["::1", "fd00::1"]);
  });

  it("reads an IPv4-mapped IPv6 address as the IPv4 address, and a mapped network as the IPv4 one", () => {
    expect(
      inside(
        block("10.0.0.0/8", "10.1.0.0/16"),
        "::ffff:10.0.0.1",
        "::ffff:10.1.0.1",
        "0:0:0:0:0:ffff:a00:2",
      ),
    ).toEqual(["::ffff:10.0.0.1", "0:0:0:0:0:ffff:a00:2"]);
    expect(inside(block("::/0"), "::ffff:10.0.0.1")).toEqual([]);
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8.
    expect(inside(block("::ffff:10.0.0.0/104"), "10.1.2.3", "11.0.0.0", "::ffff:10.4.4.4")).toEqual([
      "10.1.2.3",
      "::ffff:10.4.4.4",
    ]);
    expect(inside(block("::ffff:0.0.0.0/96"), "1.2.3.4")).toEqual(["1.2.3.4"]);
  });

  it("reads every text form of IPv6: '::' anywhere, an IPv4 tail, a zone, either case", () => {
    const b = block("fd00::/64");
    expect(
      inside(
        b,
        "fd00::1",
        "FD00::ABCD",
        "fd00:0:0:0:ffff::1",
        "fd00::1%eth0",
        "fd00:0000:0000:0000:0000:0000:0000:0001",
        "fd00:0:0:1::1",
        "fd01::",
      ),
    ).toEqual([
      "fd00::1",
      "FD00::ABCD",
      "fd00:0:0:0:ffff::1",
      "fd00::1%eth0",
      "fd00:0000:0000:0000:0000:0000:0000:0001",
    ]);
    // 2001:db8::1.2.3.4 is 2001:db8::102:304.
    expect(inside(block("2001:db8::102:300/120"), "2001:db8::1.2.3.4", "2001:db8::1.2.4.4")).toEqual([
      "2001:db8::1.2.3.4",
    ]);
    expect(inside(block("2001:db8::/96"), "2001:db8:0:0:0:0:1.2.3.4", "2001:db8:0:0:0:1:1.2.3.4")).toEqual([
      "2001:db8:0:0:0:0:1.2.3.4",
    ]);
    expect(inside(block("1::/16"), "1::", "1:0:0:0:0:0:0:2", "2::")).toEqual(["1::", "1:0:0:0:0:0:0:2"]);
    expect(inside(block("::/128"), "::", "::1")).toEqual(["::"]);
    expect(inside(block("::1/128"), "::1", "0:0:0:0:0:0:0:1", "::2")).toEqual(["::1", "0:0:0:0:0:0:0:1"]);
    // The last bit of a /127 and the first of the next.
    expect(inside(block("fd00::ffff:0/127"), "fd00::ffff:0", "fd00::ffff:1", "fd00::ffff:2")).toEqual([
      "fd00::ffff:0",
      "fd00::ffff:1",
    ]);
  });

  it("holds nothing that is not an address", () => {
    expect(inside(block("0.0.0.0/0"), "", "host.example", "10.0.0.1/32")).toEqual([]);
  });
});

describe("except", () => {
  const problem = (c: string, e: string) => exceptProblem(cidr(c), cidr(e) as Cidr);

  it("must be a strict subset of cidr, of the same family", () => {
    expect(problem("10.0.0.0/8", "10.1.0.0/16")).toBeUndefined();
    expect(problem("10.0.0.0/8", "10.0.0.0/9")).toBeUndefined();
    expect(problem("fd00::/48", "fd00:0:0:1::/64")).toBeUndefined();
    expect(problem("10.0.0.0/8", "fd00::/64")).toBe(
      "'fd00::/64' is IPv6 but cidr '10.0.0.0/8' is IPv4; except must be a strict subset of cidr",
    );
    expect(problem("fd00::/64", "10.0.0.0/8")).toBe(
      "'10.0.0.0/8' is IPv4 but cidr 'fd00::/64' is IPv6; except must be a strict subset of cidr",
    );
    for (const [c, e] of [
      ["10.0.0.0/8", "11.0.0.0/16"],
      ["10.0.0.0/8", "10.0.0.0/8"],
      ["10.0.0.0/16", "10.0.0.0/8"],
      ["fd00::/64", "fd01::/80"],
    ] as const)
      expect(problem(c, e)).toBe(`'${e}' is not inside cidr '${c}'; except must be a strict subset of cidr`);
  });
});
