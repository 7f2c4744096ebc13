/**
 * Port checks before anything starts: a port in use is reported by name (with the option that moves it)
 * instead of surfacing later as one child's bind error.
 */
import * as net from "node:net";
import { type DevOptions, type DevPorts, portNames } from "./options";

export interface ResolvedPorts extends Omit<DevPorts, "services"> {
  /** Port of each service, by service name. */
  byService: Record<string, number>;
}

/** One or more ports are taken; the message lists each with its owner name. */
export class PortConflictError extends Error {
  constructor(readonly conflicts: Array<{ name: string; port: number }>) {
    super(
      conflicts.map(({ name, port }) => `port ${port} (${name}) is already in use`).join("\n") +
        "\nStop whatever listens there (another npm run dev?), or move the port: --ports " +
        [...new Set(conflicts.map(({ name }) => (name.startsWith("service ") ? "services" : name.split(",")[0])))]
          .map((name) => `${name}=<port>`)
          .join(",") +
        " (or --ports auto for free ports).",
    );
    this.name = "PortConflictError";
  }
}

/**
 * Turns the requested ports into concrete, free, distinct ports. Services get consecutive ports from the
 * `services` base in the order given, unless that base is "auto". Ports named in `unchecked` are resolved but
 * not probed (Hasura's, when no Docker engine runs it: other URLs still name it).
 * @throws PortConflictError when a requested port is taken or two parts would share a port
 */
export async function resolvePorts(
  requested: DevOptions["ports"],
  services: string[],
  unchecked: string[] = [],
): Promise<ResolvedPorts> {
  const wanted: Array<{ name: string; port: number | "auto" }> = [];
  for (const name of portNames) {
    if (name !== "services") wanted.push({ name, port: requested[name] });
  }
  services.forEach((service, index) => {
    const base = requested.services;
    wanted.push({ name: `service ${service}`, port: base === "auto" ? "auto" : base + index });
  });

  const seen = new Map<number, string>();
  const duplicates: Array<{ name: string; port: number }> = [];
  for (const { name, port } of wanted) {
    if (port === "auto") continue;
    const other = seen.get(port);
    if (other) duplicates.push({ name: `${name}, also asked for by ${other}`, port });
    else seen.set(port, name);
  }
  if (duplicates.length > 0) throw new PortConflictError(duplicates);

  const conflicts: Array<{ name: string; port: number }> = [];
  await Promise.all(
    wanted.map(async ({ name, port }) => {
      if (port !== "auto" && !unchecked.includes(name) && !(await isPortFree(port))) conflicts.push({ name, port });
    }),
  );
  if (conflicts.length > 0) throw new PortConflictError(conflicts.sort((a, b) => a.port - b.port));

  // Hold every auto port until all are picked, so two parts never draw the same one.
  const autoCount = wanted.filter(({ port }) => port === "auto").length;
  const picked = await pickFreePorts(autoCount, new Set(seen.keys()));
  const concrete = new Map<string, number>();
  for (const { name, port } of wanted) concrete.set(name, port === "auto" ? picked.shift()! : port);

  const resolved = Object.fromEntries(
    portNames.filter((name) => name !== "services").map((name) => [name, concrete.get(name)!]),
  ) as Omit<DevPorts, "services">;
  const byService = Object.fromEntries(services.map((service) => [service, concrete.get(`service ${service}`)!]));
  return { ...resolved, byService };
}

/**
 * Whether nothing listens on `port`: binds the wildcard address, which fails when any local address already
 * has the port (services listen on 0.0.0.0, the emulators on 127.0.0.1).
 */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE" || error.code === "EACCES") resolve(false);
      else reject(error);
    });
    probe.listen({ port, host: "0.0.0.0", exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

async function pickFreePorts(count: number, avoid: Set<number>): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port: 0, host: "0.0.0.0", exclusive: true }, resolve);
      });
      const port = (server.address() as net.AddressInfo).port;
      if (!avoid.has(port)) ports.push(port);
    }
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
  return ports;
}
