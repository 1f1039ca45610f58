import { existsSync, readFileSync, writeFileSync } from "node:fs";

// A container's memory cgroup, read from the host (dockerd's cgroupfs driver, v1 or v2): the peak
// the kernel measured against its limit, which is what an OOM kill is judged on.
const candidates = (id: string) => [
  { file: `/sys/fs/cgroup/memory/docker/${id}/memory.max_usage_in_bytes`, resettable: true },
  { file: `/sys/fs/cgroup/docker/${id}/memory.peak`, resettable: false },
  { file: `/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.peak`, resettable: false },
];

function peakFile(id: string) {
  const found = candidates(id).find((c) => existsSync(c.file));
  if (!found)
    throw new Error(
      `no memory cgroup for container ${id}: looked for ${candidates(id)
        .map((c) => c.file)
        .join(", ")}`,
    );
  return found;
}

/** The container's peak memory in bytes since it started (or since resetPeakMemory). */
export const peakMemory = (id: string) => Number(readFileSync(peakFile(id).file, "utf8").trim());

/** Starts the peak afresh where the kernel allows it (cgroup v1); elsewhere it stays the peak since start. */
export function resetPeakMemory(id: string): void {
  const { file, resettable } = peakFile(id);
  if (resettable) writeFileSync(file, "0");
}
