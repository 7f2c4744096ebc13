import type { Pool, PoolClient } from "pg";

/**
 * Runs `work` in one transaction on a pooled connection, with the transaction-local setting `hasura.user`
 * set to the JSON of `sessionVariables`, exactly as Hasura does before its own mutations: audit triggers
 * then see the same actor whether a write came through Hasura or through a service.
 */
export async function inTransaction<T>(
  pool: Pool,
  sessionVariables: Readonly<Record<string, string>>,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let connectionBroken = false;
  try {
    // One round trip: BEGIN and the setting go together through the simple query protocol.
    await client.query(
      `begin; select set_config('hasura.user', ${client.escapeLiteral(JSON.stringify(sessionVariables))}, true)`,
    );
    const result = await work(client);
    await client.query("commit");
    return result;
  } catch (error) {
    try {
      await client.query("rollback");
    } catch {
      // The connection itself failed: drop it instead of handing it to the next request.
      connectionBroken = true;
    }
    throw error;
  } finally {
    client.release(connectionBroken);
  }
}

export type DeliveryKind = "event" | "cron" | "job";

export type DeliveryOutcome<T> = { status: "processed"; result: T } | { status: "duplicate" };

/**
 * Runs `work` at most once per delivery id. The delivery is claimed in `processed_deliveries` inside the
 * same transaction as the work, so:
 * - a repeated delivery finds the row and is answered as a duplicate without running;
 * - a concurrent repeat blocks on the claimed key until the first commits (then it is a duplicate) or
 *   rolls back (then it runs);
 * - a failing handler rolls back its writes and the claim together, so Hasura's (or Cloud Tasks') retry runs it again.
 */
export async function runOnce<T>(
  pool: Pool,
  delivery: { id: string; kind: DeliveryKind; name: string },
  sessionVariables: Readonly<Record<string, string>>,
  work: (tx: PoolClient) => Promise<T>,
): Promise<DeliveryOutcome<T>> {
  return inTransaction(pool, sessionVariables, async (tx) => {
    const claim = await tx.query({
      name: "pulsura-claim-delivery",
      text: "insert into processed_deliveries (delivery_id, kind, name) values ($1, $2, $3) on conflict (delivery_id) do nothing",
      values: [delivery.id, delivery.kind, delivery.name],
    });
    if (claim.rowCount === 0) return { status: "duplicate" } as const;
    return { status: "processed", result: await work(tx) } as const;
  });
}
