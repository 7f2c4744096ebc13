/**
 * The benchmark's load generator, a process of its own (bench.ts starts it once per run and sends it one load run at a
 * time over IPC), so it shares a JavaScript thread with neither the server nor the bench: for each message, autocannon
 * at the given connections and duration against one action, and its result sent back.
 *
 * createOrganization rotates its caller over the bench users bench.ts created (`x-hasura-user-id`), as real traffic
 * comes from many users: one user for every request would serialize all inserts on that user's row-quota lock (the
 * organizations_per_creator trigger) and hit the quota after 20 organizations.
 */
import autocannon from "autocannon";

export interface LoadRun {
  url: string;
  action: "whoami" | "createOrganization";
  connections: number;
  seconds: number;
  secret: string;
  /** The bench users' ids are `<userPrefix>-0` … `<userPrefix>-<userCount - 1>`: the callers, one after another. */
  userPrefix: string;
  userCount: number;
}

let nextUser = 0;

async function run(settings: LoadRun): Promise<autocannon.Result> {
  const bodyFor = (userId: string) =>
    JSON.stringify({
      action: { name: settings.action },
      input: settings.action === "createOrganization" ? { name: "Bench organization" } : {},
      session_variables: { "x-hasura-role": "user", "x-hasura-user-id": userId },
      request_query: `mutation { ${settings.action} }`,
    });
  return autocannon({
    url: settings.url,
    connections: settings.connections,
    duration: settings.seconds,
    method: "POST",
    headers: { "content-type": "application/json", "x-pulsura-event-secret": settings.secret },
    body: bodyFor(`${settings.userPrefix}-0`),
    requests: [{ setupRequest: (request) => ({ ...request, body: bodyFor(`${settings.userPrefix}-${nextUser++ % settings.userCount}`) }) }],
  });
}

process.on("message", (settings: LoadRun) => {
  run(settings).then(
    (result) => process.send!({ result }),
    (error: unknown) => process.send!({ error: (error as Error).message }),
  );
});
// Ends with the bench: when its IPC channel closes.
process.on("disconnect", () => process.exit(0));
