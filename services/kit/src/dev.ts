import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { asDefinition, routeFolders, type ServiceRoutes } from "./definitions";
import type { HasuraMetadataSnapshot } from "./drift/metadata";
import { readHasuraMetadata } from "./metadata-files";
import { findHandlerFiles, findHasuraDir } from "./route-files";
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
  const pushCertificatesUrl = runOptions.pushCertificatesUrl ?? (runOptions.env ?? process.env).PULSURA_DEV_PUSH_CERTIFICATES_URL;
  return runService({ ...runOptions, ...(pushCertificatesUrl ? { pushCertificatesUrl } : {}), name: loaded.name, routes: loaded.routes, metadata: loaded.metadata });
}
