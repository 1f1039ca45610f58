import { BlockList, isIP } from "node:net";

/**
 * `ipBlock` peers: a CIDR minus its `except` CIDRs, matched against pod IPs (IPv4 and IPv6).
 * Addresses are checked with `net.isIP`; validation (is `except` inside `cidr`?) uses `net.BlockList`.
 * Matching, which runs for every (ipBlock, pod) pair, compares prefix bits of addresses parsed once:
 * BlockList.check builds a SocketAddress per call, which dominated the engine's time at 200 pods ×
 * 500 policies. Host bits set in a CIDR are ignored (10.0.0.1/8 is 10.0.0.0/8), as Go's ParseCIDR does.
 */

export type Family = "ipv4" | "ipv6";

export interface Cidr {
  text: string;
  address: string;
  prefix: number;
  family: Family;
}

export const ipFamily = (address: string): Family | undefined =>
  isIP(address) === 4 ? "ipv4" : isIP(address) === 6 ? "ipv6" : undefined;

/** Parses `a.b.c.d/n` or `x:y::z/n`; an error message when it is not a CIDR. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf("/");
  if (slash < 0) return `'${text}' is not a CIDR (expected ADDRESS/PREFIX, e.g. 10.0.0.0/16 or fd00::/64)`;
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const family = ipFamily(address);
  if (!family) return `'${text}' is not a CIDR: '${address}' is not an IPv4 or IPv6 address`;
  const max = family === "ipv4" ? 32 : 128;
  if (!/^(0|[1-9][0-9]*)$/.test(prefixText) || Number(prefixText) > max)
    return `'${text}' is not a CIDR: the prefix length must be an integer from 0 to ${max}`;
  return { text, address, prefix: Number(prefixText), family };
}

/** An address as a number: 32 bits for IPv4, 128 for IPv6 (IPv4-mapped IPv6 counts as IPv4, as in Go). */
interface Address {
  family: Family;
  value: bigint;
}

const parsedAddresses = new Map<string, Address | undefined>();

function parseAddress(text: string): Address | undefined {
  if (parsedAddresses.has(text)) return parsedAddresses.get(text);
  let address: Address | undefined;
  const family = ipFamily(text);
  if (family === "ipv4") address = { family, value: ipv4Value(text) };
  else if (family === "ipv6") {
    const value = ipv6Value(text);
    address = value >> 32n === 0xffffn ? { family: "ipv4", value: value & 0xffffffffn } : { family, value };
  }
  if (parsedAddresses.size > 100_000) parsedAddresses.clear();
  parsedAddresses.set(text, address);
  return address;
}

const ipv4Value = (text: string) =>
  text.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);

/** A valid IPv6 address (net.isIP said so) as a number: `::` expanded, an IPv4 tail and a zone handled. */
function ipv6Value(text: string): bigint {
  let rest = text.split("%")[0] as string;
  let tail: string[] = [];
  const lastColon = rest.lastIndexOf(":");
  if (rest.includes(".", lastColon)) {
    const v4 = Number(ipv4Value(rest.slice(lastColon + 1)));
    tail = [(v4 >>> 16).toString(16), (v4 & 0xffff).toString(16)];
    rest = rest.slice(0, lastColon + 1);
    if (rest.endsWith(":") && !rest.endsWith("::")) rest = rest.slice(0, -1);
  }
  const [head = "", after] = rest.split("::");
  const left = head ? head.split(":") : [];
  const right = [...(after ? after.split(":") : []), ...tail];
  const groups =
    after === undefined && !rest.endsWith("::")
      ? [...left, ...tail]
      : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

/**
 * A CIDR as Go's net.IPNet.Contains sees it: an address of the other family is never inside (an
 * IPv4 address is not in ::/0), and an IPv4-mapped network (::ffff:a.b.c.d/n) is the IPv4 network
 * a.b.c.d/(n-96).
 */
class Range {
  private readonly family: Family;
  private readonly shift: bigint;
  private readonly network: bigint;
  constructor(cidr: Cidr) {
    const base = parseAddress(cidr.address) as Address;
    this.family = base.family;
    const prefix = base.family === cidr.family ? cidr.prefix : Math.max(0, cidr.prefix - 96);
    this.shift = BigInt((base.family === "ipv4" ? 32 : 128) - prefix);
    this.network = base.value >> this.shift;
  }
  contains(address: Address): boolean {
    return address.family === this.family && address.value >> this.shift === this.network;
  }
}

/** An ipBlock peer, compiled: `contains` is called for every pod IP against every ipBlock. */
export class IpBlock {
  private readonly allowed: Range;
  private readonly excepted: readonly Range[];

  readonly cidr: Cidr;
  readonly except: readonly Cidr[];

  constructor(cidr: Cidr, except: readonly Cidr[]) {
    this.cidr = cidr;
    this.except = except;
    this.allowed = new Range(cidr);
    this.excepted = except.map((e) => new Range(e));
  }

  /** Whether an address is inside `cidr` and outside every `except`. */
  contains(text: string): boolean {
    const address = parseAddress(text);
    if (!address || !this.allowed.contains(address)) return false;
    return !this.excepted.some((range) => range.contains(address));
  }
}

/**
 * Why `except` is not acceptable for `cidr`, as the API server checks it: it must be a strict subset
 * (same family, inside, and a longer prefix).
 */
export function exceptProblem(cidr: Cidr, except: Cidr): string | undefined {
  if (cidr.family !== except.family)
    return `'${except.text}' is ${except.family === "ipv4" ? "IPv4" : "IPv6"} but cidr '${cidr.text}' is ${cidr.family === "ipv4" ? "IPv4" : "IPv6"}; except must be a strict subset of cidr`;
  const inside = new BlockList();
  inside.addSubnet(cidr.address, cidr.prefix, cidr.family);
  if (!inside.check(except.address, except.family) || except.prefix <= cidr.prefix)
    return `'${except.text}' is not inside cidr '${cidr.text}'; except must be a strict subset of cidr`;
  return undefined;
}
