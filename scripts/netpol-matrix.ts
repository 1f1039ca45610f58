// pnpm netpol:matrix -f FILE... [--protocol TCP|UDP|SCTP] [--port N] [--json]
// Which pod may open a connection to which, under the Kubernetes NetworkPolicies of plain YAML files
// (Namespace, Pod, Deployment and NetworkPolicy objects; see src/netpol/manifests.ts). Files may
// also be given without -f, and a directory stands for its *.yaml/*.yml files.
//
// Without --port, every port each destination declares is asked about (only those of --protocol
// when given); with --port N, (--protocol, default TCP, N) for every destination.
//
// --json prints (format documented in src/netpol/render.ts):
//   { "pods": ["ns/name", ...],
//     "entries": [ { "from": "ns/name", "to": "ns/name", "protocol": "TCP", "port": 80, "allowed": true }, ... ] }
// listing every ordered pair (a pod to itself included) for every asked port. Ignored objects are
// noted on stderr; invalid input fails (exit 1) naming file:line, object and field of every problem.
import { oneOf, parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { UserError } from "../src/errors.ts";
import { computeReachability } from "../src/netpol/engine.ts";
import { loadManifests } from "../src/netpol/manifests.ts";
import { type PortQuery, PROTOCOLS } from "../src/netpol/model.ts";
import { renderText, toJson } from "../src/netpol/render.ts";

const USAGE = "usage: pnpm netpol:matrix -f FILE... [--protocol TCP|UDP|SCTP] [--port N] [--json]";

await runMain(async () => {
  const { values, positionals } = parseFlags(
    "netpol:matrix",
    process.argv.slice(2),
    {
      file: { type: "string", short: "f", multiple: true },
      protocol: { type: "string" },
      port: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    { positionals: true },
  );
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const files = [...(values.file ?? []), ...positionals];
  if (files.length === 0) throw new UserError("netpol:matrix: no input file", USAGE);
  const protocol =
    values.protocol === undefined ? undefined : oneOf("protocol", values.protocol.toUpperCase(), PROTOCOLS);
  let ports: PortQuery[] | undefined;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!/^[0-9]+$/.test(values.port) || port < 1 || port > 65535)
      throw new UserError(`--port: '${values.port}' is not valid; expected a port number from 1 to 65535`);
    ports = [{ protocol: protocol ?? "TCP", port }];
  }

  const { input, notes } = loadManifests(files);
  for (const note of notes) console.error(`note: ${note}`);
  const matrix = computeReachability(input, ports ? { ports } : protocol ? { protocols: [protocol] } : {});
  console.log(values.json ? JSON.stringify(toJson(matrix), null, 2) : renderText(matrix, ports));
});
