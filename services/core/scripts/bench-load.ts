/**
 * One load run of the benchmark (bench.ts starts it as a process of its own, so the load generator shares a JavaScript
 * thread with neither the server nor the bench): autocannon at the given connections and duration against one action,
 * then its result as one JSON line on stdout.
 *
 * createOrganization rotates its caller over the bench users bench.ts created (`x-hasura-user-id`), as real traffic
 * comes from many users: one user for every request would serialize all inserts on that user's row-quota lock (the
 * organizations_per_creator trigger) and hit the quota after 20 organizations.
 *
 * Usage: bench-load.ts <json settings: { url, action, connections, seconds, secret, userPrefix, userCount }>
 */
import autocannon from "autocannon";

interface LoadSettings {
  url: string;
  action: "whoami" | "createOrganization";
  connections: number;
  seconds: number;
  secret: string;
  /** The bench users' ids are `<userPrefix>-0` … `<userPrefix>-<userCount - 1>`: the callers, one after another. */
  userPrefix: string;
  userCount: number;
}

const settings = JSON.parse(process.argv[2] ?? "{}") as LoadSettings;
let next = 0;
const bodyFor = (userId: string) =>
  JSON.stringify({
    action: { name: settings.action },
    input: settings.action === "createOrganization" ? { name: "Bench organization" } : {},
    session_variables: { "x-hasura-role": "user", "x-hasura-user-id": userId },
    request_query: `mutation { ${settings.action} }`,
  });

void autocannon({
  url: settings.url,
  connections: settings.connections,
  duration: settings.seconds,
  method: "POST",
  headers: { "content-type": "application/json", "x-pulsura-event-secret": settings.secret },
  body: bodyFor(`${settings.userPrefix}-0`),
  requests: [
    {
      setupRequest: (request) => ({ ...request, body: bodyFor(`${settings.userPrefix}-${next++ % settings.userCount}`) }),
    },
  ],
}).then((result) => process.stdout.write(`${JSON.stringify(result)}\n`));
