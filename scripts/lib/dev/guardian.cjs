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

// "end" on EOF, "close"/"error" when the pipe breaks: all mean the dev runner is gone.
let stopping = false;
function stopAll() {
  if (stopping) return;
  stopping = true;
  const left = [...groups].filter(([pgid]) => alive(pgid));
  if (left.length === 0) process.exit(0);
  say(`the dev runner ended without stopping ${left.length} process group(s): stopping ${left.map(([pgid]) => pgid).join(", ")}`);
  for (const [pgid, name] of left) signal(pgid, name);
  const started = Date.now();
  const check = setInterval(() => {
    const remaining = left.filter(([pgid]) => alive(pgid));
    if (remaining.length === 0) process.exit(0);
    if (Date.now() - started >= graceMs) {
      for (const [pgid] of remaining) signal(pgid, "SIGKILL");
      say(`killed ${remaining.map(([pgid]) => pgid).join(", ")} after ${graceMs / 1000} s`);
      clearInterval(check);
      setTimeout(() => process.exit(0), 100);
    }
  }, 100);
}
process.stdin.on("end", stopAll);
process.stdin.on("close", stopAll);
process.stdin.on("error", stopAll);
// Terminal signals are for the dev runner, which stops everything in order; the guardian only acts on the pipe.
for (const name of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(name, () => undefined);
