/**
 * Runs `scripts/dev.ts` (what `npm run dev` runs) as a child process for tests: output collected, awaited by
 * pattern with deadlines (no sleeps), and the process table read from /proc to prove nothing outlives it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter, once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { onCleanup, readProcStat, trackProcess, type ProcStat } from "../../support/cleanup";

export const repoRoot = path.resolve(__dirname, "..", "..", "..");
const tsxCli = path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs");

export interface DevRun {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr, interleaved as received). */
  output(): string;
  /** Resolves with the first match in the output from character `from` on; rejects at the deadline or on exit. */
  waitFor(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Resolves once its stdout and stderr are closed: every process that inherited them (npm, its shell, tsx, the dev
   * runner, the guardian) has exited, whichever of them was signalled.
   */
  closed: Promise<void>;
}

/**
 * Starts `tsx scripts/dev.ts <args>` (or, `via: "npm"`, `npm run dev -- <args>`, the whole chain npm → sh → tsx →
 * dev runner) in its own process group, as a terminal runs a foreground job, so a test can deliver Ctrl-C to the
 * group like a terminal does, or a signal to one process of it as an IDE does.
 */
export function startDev(args: string[], env: NodeJS.ProcessEnv = {}, { via = "tsx" }: { via?: "tsx" | "npm" } = {}): DevRun {
  const [command, commandArgs] =
    via === "npm" ? ["npm", ["run", "--silent", "dev", "--", ...args]] : [process.execPath, [tsxCli, "scripts/dev.ts", ...args]];
  const child = spawn(command, commandArgs, {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0", ...env },
  });
  trackProcess(child, "npm run dev (scripts/dev.ts)", { group: true });
  let output = "";
  const events = new EventEmitter();
  events.setMaxListeners(50);
  const append = (chunk: Buffer) => {
    output += stripVTControlCharacters(chunk.toString("utf8"));
    events.emit("data");
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const closed = Promise.all([child.stdout, child.stderr].map((stream) => (stream ? once(stream, "close") : undefined))).then(() => undefined);
  // If the test file ends with it still running, everything it started goes with it.
  const cleanupDone = onCleanup("npm run dev (scripts/dev.ts)", () => killEverything(run));
  const exited = once(child, "exit").then(([code, signal]) => {
    cleanupDone();
    events.emit("exit");
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  const run: DevRun = {
    child,
    output: () => output,
    exited,
    closed,
    waitFor(pattern, { from = 0, timeoutMs = 180_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.slice(from).match(pattern);
          if (!match) return;
          settle();
          resolve(match);
        };
        const onExit = () => {
          // The last chunk may have arrived with the exit: look once more.
          const match = output.slice(from).match(pattern);
          settle();
          if (match) resolve(match);
          else reject(new Error(`npm run dev exited before printing ${pattern}:\n${output.slice(-6000)}`));
        };
        const timer = setTimeout(() => {
          settle();
          reject(new Error(`no ${pattern} in npm run dev's output within ${timeoutMs / 1000} s:\n${output.slice(-6000)}`));
        }, timeoutMs);
        const settle = () => {
          clearTimeout(timer);
          events.off("data", check);
          events.off("exit", onExit);
        };
        events.on("data", check);
        events.on("exit", onExit);
        if (child.exitCode !== null || child.signalCode !== null) onExit();
        else check();
      });
    },
  };
  return run;
}

/** Parsed `[dev] processes {...}` line. */
export interface ProcessReport {
  dev: number;
  children: Array<{ name: string; pid: number; pgid: number }>;
}

export function parseProcessReport(output: string): ProcessReport {
  const match = /\[dev\] processes (\{.*\})/.exec(output);
  if (!match) throw new Error("npm run dev printed no process report");
  return JSON.parse(match[1]!) as ProcessReport;
}

/** The URL (or text) of one banner row, e.g. `bannerValue(output, "Auth emulator")`. */
export function bannerValue(output: string, label: string): string {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`^  ${escaped}\\s{2,}(.+)$`, "m").exec(output);
  if (!match) throw new Error(`npm run dev's banner has no "${label}" row:\n${output.slice(-3000)}`);
  return match[1]!.trim();
}

function allProcesses(): ProcStat[] {
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readProcStat(Number(entry)))
    .filter((stat): stat is ProcStat => stat !== undefined);
}

/** `root` and every process below it (by parent pid), from /proc. */
export function processTree(root: number): ProcStat[] {
  const processes = allProcesses();
  const tree: ProcStat[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const stat = processes.find((candidate) => candidate.pid === pid);
    if (stat) tree.push(stat);
    for (const child of processes.filter((candidate) => candidate.ppid === pid)) queue.push(child.pid);
  }
  return tree;
}

/** Of `pids`, those that still run (zombies, which have exited and only await reaping, do not count). */
export function stillRunning(pids: number[]): ProcStat[] {
  return pids.map(readProcStat).filter((stat): stat is ProcStat => stat !== undefined && stat.state !== "Z");
}

/** Running members of process group `pgid`. */
export function groupMembers(pgid: number): ProcStat[] {
  return allProcesses().filter((stat) => stat.pgid === pgid && stat.state !== "Z");
}

/** Last resort for a failed test: kill the dev process group and every group it reported. */
export function killEverything(run: DevRun | undefined): void {
  if (!run?.child.pid) return;
  const groups = new Set([run.child.pid, ...processTree(run.child.pid).map((stat) => stat.pgid)]);
  try {
    for (const child of parseProcessReport(run.output()).children) groups.add(child.pgid);
  } catch {
    // No report yet: only the dev group is known.
  }
  for (const pgid of groups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Env var the tests give `npm run dev`; every process it starts inherits it, which tells its processes apart. */
export const runMarkerVariable = "PULSURA_DEV_TEST_RUN";

/** Running processes whose environment carries `PULSURA_DEV_TEST_RUN=<marker>`. */
export function processesWithMarker(marker: string): ProcStat[] {
  const needle = `${runMarkerVariable}=${marker}`;
  return allProcesses().filter((stat) => {
    if (stat.state === "Z") return false;
    try {
      return fs.readFileSync(`/proc/${stat.pid}/environ`, "utf8").split("\0").includes(needle);
    } catch {
      return false;
    }
  });
}

/** TCP ports that the processes `pids` listen on, from /proc/<pid>/fd and /proc/net/tcp{,6}. */
export function listeningPorts(pids: number[]): number[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return [...new Set(listeningSockets().filter((socket) => inodes.has(socket.inode)).map((socket) => socket.port))].sort((a, b) => a - b);
}

/** Of `ports`, those that any process of this machine still listens on. */
export function portsStillListening(ports: number[]): number[] {
  const listening = new Set(listeningSockets().map((socket) => socket.port));
  return ports.filter((port) => listening.has(port));
}

function listeningSockets(): Array<{ port: number; inode: string }> {
  const sockets: Array<{ port: number; inode: string }> = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = fs.readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is <hex ip>:<hex port>; st 0A is LISTEN; inode is the 10th field.
      if (fields.length < 10 || fields[3] !== "0A") continue;
      sockets.push({ port: parseInt(fields[1]!.split(":")[1]!, 16), inode: fields[9]! });
    }
  }
  return sockets;
}
