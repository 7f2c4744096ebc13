import { checkServiceEnvironments, ConfigError, loadConfig } from "./config";
import { normalizeRoutes, type ServiceRoutes } from "./definitions";
import { assertNoDrift, DriftError } from "./drift/check";
import type { HasuraMetadataSnapshot } from "./drift/metadata";
import { createLogger, type Logger } from "./logger";
import { createPushTokenVerifier } from "./push";
import { createService, type CreateServiceOptions, type Service } from "./server";

export interface RunServiceOptions {
  /** Service name: its folder under services/, and `PULSURA_SERVICE_<NAME>_URL` in the metadata. */
  name: string;
  routes: ServiceRoutes;
  /** Hasura metadata to check the handlers against before serving (the build embeds it). */
  metadata?: HasuraMetadataSnapshot;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default "0.0.0.0" (Cloud Run sends traffic to the container's interface) */
  host?: string;
  /**
   * How long in-flight requests may take after SIGTERM. Cloud Run kills the container 10 s after SIGTERM:
   * the default leaves a second to close the pool and flush logs. @default 9000
   */
  shutdownTimeoutMs?: number;
  /**
   * Where push routes fetch the certificates of the keys that sign push tokens, instead of Google's. Only `npm run dev`
   * sets it (runServiceFromSource reads PULSURA_DEV_PUSH_CERTIFICATES_URL: its storage front signs the notifications);
   * a bundle's entry never passes it, so a deployed service trusts Google's keys only.
   */
  pushCertificatesUrl?: string;
  /** The job and internal routes' token checks, queue and ID tokens instead of Google's: only `npm run dev` passes them (dev.ts). */
  devTokens?: Pick<CreateServiceOptions, "idTokenVerifier" | "jobQueue" | "idTokens">;
}

export interface RunningService extends Service {
  /** The address the service listens on. */
  address: string;
}

/**
 * Validates the environment, checks the handlers against the metadata, listens on `PORT`, and shuts down
 * gracefully on SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the pool, exit 0.
 * Throws {@link ConfigError} or {@link DriftError} before listening when something is wrong.
 */
export async function runService(options: RunServiceOptions): Promise<RunningService> {
  const config = loadConfig(options.env ?? process.env);
  // The handler modules are loaded by now, so every serviceEnvironment() they declare is known.
  checkServiceEnvironments(options.env ?? process.env);
  const logger = createLogger({ level: config.logLevel });
  const routes = normalizeRoutes(options.routes);
  if (options.metadata) assertNoDrift({ name: options.name, routes }, options.metadata);

  const pushTokenVerifier =
    options.pushCertificatesUrl && config.push ? createPushTokenVerifier(config.push, { certificatesUrl: options.pushCertificatesUrl }) : undefined;
  const service = createService({ name: options.name, routes, config, logger, ...(pushTokenVerifier ? { pushTokenVerifier } : {}), ...options.devTokens });
  const address = await service.listen({ host: options.host ?? "0.0.0.0", port: config.port });
  const port = service.app.server.address();
  logger.info(
    {
      service: options.name,
      address,
      port: typeof port === "object" && port ? port.port : config.port,
      startupMs: Math.round(performance.now()),
      routes: {
        actions: Object.keys(routes.actions),
        events: Object.keys(routes.events),
        crons: Object.keys(routes.crons),
        push: Object.keys(routes.push ?? {}),
        jobs: Object.keys(routes.jobs ?? {}),
        internal: Object.keys(routes.internal ?? {}),
      },
    },
    "listening",
  );
  installShutdown(service, logger, options.shutdownTimeoutMs ?? 9_000);
  return { ...service, address };
}

/**
 * Entry point of a service bundle: {@link runService}, and on a configuration or drift problem a clear
 * message on stderr and exit code 1.
 */
export function main(options: RunServiceOptions): void {
  runService(options).catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof DriftError) {
      process.stderr.write(`${options.name}: ${error.message}\n`);
    } else {
      process.stderr.write(`${options.name}: failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
    }
    process.exit(1);
  });
}

function installShutdown(service: Service, logger: Logger, timeoutMs: number): void {
  let shuttingDown = false;
  const shutDown = (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal, timeoutMs }, "shutting down");
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs }, "in-flight requests did not finish in time; dropping their connections");
      service.app.server.closeAllConnections();
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    service.close().then(
      () => {
        clearTimeout(deadline);
        logger.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", shutDown);
  process.on("SIGINT", shutDown);
}
