/**
 * The ceiling for the benchmark: the same two actions on a bare node:http server (plain string secret check,
 * JSON.parse, the same SQL through pg), with nothing a framework adds. Bundled and started by bench.ts.
 */
import { createServer, type ServerResponse } from "node:http";
import { Pool } from "pg";

const port = Number(process.env.PORT);
const secret = process.env.PULSURA_EVENT_SECRET;
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

createServer((request, response) => {
  if (request.method === "GET" && request.url === "/healthz") return send(response, 200, { status: "ok" });
  if (request.headers["x-pulsura-event-secret"] !== secret) return send(response, 401, { message: "unauthorized" });
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    let payload: { input: { name?: string }; session_variables: Record<string, string> };
    try {
      payload = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof payload;
    } catch {
      return send(response, 400, { message: "invalid json" });
    }
    const session = payload.session_variables;
    if (request.url === "/actions/whoami") return send(response, 200, { userId: session["x-hasura-user-id"], role: session["x-hasura-role"] });
    if (request.url === "/actions/createOrganization") {
      void (async () => {
        const client = await pool.connect();
        try {
          await client.query("begin");
          const created = await client.query<{ id: string }>("insert into organizations (name, created_by) values ($1, $2) returning id", [
            payload.input.name,
            session["x-hasura-user-id"],
          ]);
          const id = created.rows[0]!.id;
          await client.query("insert into memberships (organization_id, user_id, role) values ($1, $2, 'owner')", [id, session["x-hasura-user-id"]]);
          await client.query("commit");
          send(response, 200, { id });
        } catch {
          await client.query("rollback").catch(() => undefined);
          send(response, 500, { message: "internal error" });
        } finally {
          client.release();
        }
      })();
      return;
    }
    send(response, 404, { message: "not found" });
  });
}).listen(port, "127.0.0.1");
