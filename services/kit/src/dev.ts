import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { asDefinition, routeFolders, type ServiceRoutes } from "./definitions";
import type { HasuraMetadataSnapshot } from "./drift/metadata";
import { readHasuraMetadata } from "./metadata-files";
import { findHandlerFiles, findHasuraDir } from "./route-files";
import * as fs from "node:fs";
import { loadConfig } from "./config";
import { createIdTokenVerifier } from "./id-tokens";
import { createLocalJobQueue, devTokenSigner } from "./local-jobs";
import { createLogger } from "./logger";
import { runService, type RunningService, type RunServiceOptions } from "./run";

export { readHasuraMetadata } from "./metadata-files";
export { findHandlerFiles, findHasuraDir, type HandlerFile } from "./route-files";

/** A service loaded from its TypeScript sources (under tsx or vitest), the way the build sees it. */
export interface LoadedService {
  name: string;
  routes: ServiceRoutes;
  metadata: HasuraMetadataSnapshot;
}

/**
 * Discovers and imports a service's handler files at start-up (the development counterpart of the
 * build's generated route table) and reads the Hasura metadata next to it.
 * @param serviceDir e.g. `services/core`; its folder name is the service name.
 * @param options.hasuraDir @default the nearest `hasura/` at or above serviceDir
 */
export async function loadService(serviceDir: string, options: { hasuraDir?: string } = {}): Promise<LoadedService> {
  const routes: ServiceRoutes = { actions: {}, events: {}, crons: {}, push: {}, jobs: {}, internal: {} };
  for (const handler of findHandlerFiles(serviceDir)) {
    const module: unknown = await import(pathToFileURL(handler.file).href);
    const definition = asDefinition(handler.kind, module, path.relative(process.cwd(), handler.file));
    (routes[routeFolders[handler.kind]] as Record<string, unknown>)[handler.name] = definition;
  }
  const metadata = readHasuraMetadata(options.hasuraDir ?? findHasuraDir(serviceDir));
  return { name: path.basename(path.resolve(serviceDir)), routes, metadata };
}

/**
 * Runs a service from source (e.g. `tsx services/core/scripts/dev.ts`), with the start-up drift check. Push tokens are
 * checked against the certificates at PULSURA_DEV_PUSH_CERTIFICATES_URL when it is set (npm run dev's storage front
 * signs them; see scripts/lib/dev/storage.ts); a deployed bundle does not run this code.
 */
export async function runServiceFromSource(
  serviceDir: string,
  options: Omit<RunServiceOptions, "name" | "routes" | "metadata"> & { hasuraDir?: string } = {},
): Promise<RunningService> {
  const { hasuraDir, ...runOptions } = options;
  const loaded = await loadService(serviceDir, hasuraDir ? { hasuraDir } : {});
  const env = runOptions.env ?? process.env;
  const pushCertificatesUrl = runOptions.pushCertificatesUrl ?? env.PULSURA_DEV_PUSH_CERTIFICATES_URL;
  const devTokens = env.PULSURA_DEV_ID_TOKEN_KEY_FILE ? localTokens(loaded, env) : undefined;
  return runService({
    ...runOptions,
    ...(pushCertificatesUrl ? { pushCertificatesUrl } : {}),
    ...(devTokens ? { devTokens } : {}),
    name: loaded.name,
    routes: loaded.routes,
    metadata: loaded.metadata,
  });
}

/**
 * npm run dev's stand-ins for Google (PULSURA_DEV_ID_TOKEN_KEY_FILE, the run's key, written by scripts/lib/dev/run.ts):
 * job and internal routes verify tokens of that key; jobs go to an in-process queue with Cloud Tasks' semantics
 * (local-jobs.ts) that delivers them to the service's own job routes; services.call signs as PULSURA_DEV_SERVICE_ACCOUNT.
 */
function localTokens(loaded: LoadedService, env: NodeJS.ProcessEnv): NonNullable<RunServiceOptions["devTokens"]> {
  const signer = devTokenSigner(fs.readFileSync(env.PULSURA_DEV_ID_TOKEN_KEY_FILE!, "utf8"));
  const config = loadConfig(env);
  const ownAccount = env.PULSURA_DEV_SERVICE_ACCOUNT ?? `${loaded.name}@localhost`;
  return {
    idTokenVerifier: createIdTokenVerifier({ certificates: signer.certificates }),
    idTokens: async (audience) => signer.sign({ audience, email: ownAccount }),
    ...(config.jobs && config.serviceUrl
      ? {
          jobQueue: (service) =>
            createLocalJobQueue({
              jobs: loaded.routes.jobs ?? {},
              serviceUrl: config.serviceUrl!,
              queueName: config.jobs!.queue.split("/").pop()!,
              invoker: config.jobs!.invoker,
              signer,
              log: service.logger ?? createLogger({ level: config.logLevel }),
            }),
        }
      : {}),
  };
}
