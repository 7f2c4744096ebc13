/**
 * The guardian of `npm run dev` (started by lifeline.ts; plain CommonJS so it starts in milliseconds without tsx).
 *
 * The dev runner starts every part in a process group of its own and stops them in order. When the dev runner
 * itself dies without doing that (SIGKILL, a crash, tsx force-killing it when it was slow to acknowledge a relayed
 * signal), nothing else would: this process runs in its own session, holds a pipe from the dev runner on its stdin,
 * and when that pipe closes (the kernel closes it however the dev runner ends) it stops every group still listed.
 *
 * Protocol on stdin, one line each: `adopt <pgid> <signal>` (a group was started; `signal` is what stops it
 * cleanly), `release <pgid>` (the dev runner stopped it). At end of input: `signal` to every listed group that still
 * has members, SIGKILL to what is left after the grace period, then exit.
 */
"use strict";

const fs = require("node:fs");

/** The run's id (PULSURA_DEV_RUN_ID, argv[2]): every process of the run carries it in its environment. */
const runId = process.argv[2];
/** The dev runner: it carries the id too, and while it lives it stops things itself. */
const runnerPid = process.ppid;
const graceMs = Number(process.env.PULSURA_DEV_GUARDIAN_GRACE_MS || 10000);
/** pgid → the signal that stops it cleanly. */
const groups = new Map();

function alive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function signal(pgid, name) {
  try {
    process.kill(-pgid, name);
  } catch {
    // Already gone.
  }
}

function say(line) {
  try {
    process.stderr.write(`[dev guardian] ${line}\n`);
  } catch {
    // Nobody reads stderr any more (the terminal is gone): stopping is what matters.
  }
}
process.stderr.on("error", () => undefined);

let buffered = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf("\n")) >= 0) {
    const [command, pgid, name] = buffered.slice(0, newline).trim().split(" ");
    buffered = buffered.slice(newline + 1);
    const id = Number(pgid);
    if (!Number.isInteger(id) || id <= 1) continue;
    if (command === "adopt") groups.set(id, name || "SIGTERM");
    else if (command === "release") groups.delete(id);
  }
});

/**
 * Processes of this run outside every listed group: started by a part in a group of their own (the Functions
 * emulator's runtimes), they outlive their part when it is killed. Found by the run id in /proc/<pid>/environ (Linux).
 */
function strays() {
  if (!runId) return [];
  let entries;
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const marker = `PULSURA_DEV_RUN_ID=${runId}`;
  return entries
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => pid !== process.pid && pid !== runnerPid)
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(marker);
      } catch {
        return false;
      }
    });
}

/** Ends the stray processes (SIGTERM, SIGKILL after 2 s), then exits. */
function finish() {
  const found = strays();
  if (found.length === 0) process.exit(0);
  say(`stopping ${found.length} process(es) of this run outside its groups: ${found.join(", ")}`);
  for (const pid of found) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // Gone meanwhile.
    }
  }
  const started = Date.now();
  const check = setInterval(() => {
    const left = strays();
    if (left.length === 0) process.exit(0);
    if (Date.now() - started >= 2000) {
      for (const pid of left) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
      clearInterval(check);
      afterKill(strays, () => process.exit(0));
    }
  }, 100);
}

/**
 * After a SIGKILL: calls `then` once `left()` is empty (or after 5 s), so the guardian never exits, closing the run's
 * output, while a process it killed is still running down (a large one takes a moment on a loaded machine).
 */
function afterKill(left, then) {
  const started = Date.now();
  const check = setInterval(() => {
    if (left().length > 0 && Date.now() - started < 5000) return;
    clearInterval(check);
    then();
  }, 50);
}

// "end" on EOF, "close"/"error" when the pipe breaks: all mean the dev runner is gone.
let stopping = false;
function stopAll() {
  if (stopping) return;
  stopping = true;
  const left = [...groups].filter(([pgid]) => alive(pgid));
  if (left.length === 0) return finish();
  say(`the dev runner ended without stopping ${left.length} process group(s): stopping ${left.map(([pgid]) => pgid).join(", ")}`);
  for (const [pgid, name] of left) signal(pgid, name);
  const started = Date.now();
  const check = setInterval(() => {
    const remaining = left.filter(([pgid]) => alive(pgid));
    if (remaining.length === 0) {
      clearInterval(check);
      return finish();
    }
    if (Date.now() - started >= graceMs) {
      for (const [pgid] of remaining) signal(pgid, "SIGKILL");
      say(`killed ${remaining.map(([pgid]) => pgid).join(", ")} after ${graceMs / 1000} s`);
      clearInterval(check);
      afterKill(() => remaining.filter(([pgid]) => alive(pgid)), finish);
    }
  }, 100);
}
process.stdin.on("end", stopAll);
process.stdin.on("close", stopAll);
process.stdin.on("error", stopAll);
// Terminal signals are for the dev runner, which stops everything in order; the guardian only acts on the pipe.
for (const name of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(name, () => undefined);
