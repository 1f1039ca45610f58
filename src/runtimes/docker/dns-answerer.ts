/**
 * Answers, for an environment's network, the DNS questions Docker's own DNS cannot: the names of
 * pods that are down. Docker forgets a stopped container's names, forwards a question for them to
 * the resolver the container was given, and when that resolver does not answer the asker waits
 * 2 s (A and AAAA, 1 s each). Programs that resolve on their event loop stall meanwhile: a Redis
 * Sentinel stalled over 2 s enters TILT mode and fails nothing over. The supervisor answers on the
 * network's gateway address (the host, so nothing leaves the machine) that such a name does not
 * exist, at once, as a client of Kubernetes' DNS hears for a pod that is gone.
 */
import { createSocket } from "node:dgram";

/** The answer to a one-question query: the same id and question, "no such name" (NXDOMAIN). */
export function nxdomain(query: Buffer): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1 || (query[2] ?? 0) & 0x80) return undefined;
  // The question: its name's labels up to the empty one, then type and class.
  let at = 12;
  while (at < query.length && query[at] !== 0) at += (query[at] ?? 0) + 1;
  const end = at + 5;
  if (end > query.length) return undefined;
  const answer = Buffer.from(query.subarray(0, end));
  answer[2] = 0x80 | ((query[2] ?? 0) & 0x79); // a response; opcode and "recursion desired" kept
  answer[3] = 0x83; // "recursion available", RCODE 3: no such name
  answer.writeUInt16BE(0, 6); // no answers,
  answer.writeUInt16BE(0, 8); // no authority,
  answer.writeUInt16BE(0, 10); // no additional records (a query's EDNS record is not echoed)
  return answer;
}

/** Serves `nxdomain` on `address`:53 (UDP) until the process ends; binds again after an error. */
export function answerUnknownNames(
  address: string,
  log: (level: number, msg: string, extra?: object) => void,
) {
  const socket = createSocket("udp4");
  socket.on("message", (query, from) => {
    const answer = nxdomain(query);
    if (answer) socket.send(answer, from.port, from.address);
  });
  socket.on("error", (error) => {
    log(40, "dns answerer failed; binding again in 5 s", { at: `${address}:53`, err: error.message });
    socket.close();
    setTimeout(() => answerUnknownNames(address, log), 5_000);
  });
  socket.bind(53, address, () =>
    log(30, "answering names the network does not know", { at: `${address}:53` }),
  );
}
