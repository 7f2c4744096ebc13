/**
 * @pulsura/kit: the runtime of pulsura microservices. A handler file exports one definition
 * (`defineAction`, `defineEvent`, `defineCron`); the kit does routing, the webhook secret, validation,
 * caller identity, at-most-once deliveries, logging and errors.
 *
 * Build-time and development helpers live in `@pulsura/kit/build` and `@pulsura/kit/dev`, so that this
 * entry (bundled into every service) stays free of esbuild, YAML and file-system scanning.
 */
export {
  defineAction,
  defineCron,
  defineEvent,
  defineInternal,
  defineJob,
  definePush,
  ServiceCallError,
  type EnqueuedJob,
  type EnqueueOptions,
  type InternalContext,
  type InternalDefinition,
  type InternalSpec,
  type JobContext,
  type JobDefinition,
  type JobQueue,
  type JobSpec,
  type ServiceCaller,
  type PushContext,
  type PushDefinition,
  type PushMessage,
  type PushSpec,
  type ActionContext,
  type ActionDefinition,
  type ActionSpec,
  type BaseContext,
  type Caller,
  type CronContext,
  type CronDefinition,
  type CronSpec,
  type EventContext,
  type EventDefinition,
  type EventSpec,
  type RouteKind,
  type ServiceRoutes,
  type TriggerEvent,
  type TriggerOperation,
} from "./definitions";
export { hasuraClaims, hasuraClaimsNamespace, userRoles, type HasuraCustomClaims, type UserRole } from "./claims";
export { ActionError, hasuraError, unexpectedErrorBody, type HasuraErrorBody } from "./errors";
export { checkServiceEnvironments, ConfigError, loadConfig, parseEnvironment, serviceEnvironment, type ServiceConfig } from "./config";
export { createPushTokenVerifier, type PushTokenVerifier } from "./push";
export { createIdTokenVerifier, IdTokenError, type IdTokenVerifier } from "./id-tokens";
export { createCloudTasksQueue, dedupeTaskId, type CloudTasksQueueOptions, type TasksClient } from "./jobs";
export { createLocalJobQueue, devTokenSigner, type DevTokenSigner, type LocalJobQueueOptions } from "./local-jobs";
export { createServiceCaller, googleIdTokens, type IdTokenSource, type ServiceCallerOptions } from "./service-calls";
export { databasePoolConfig } from "./database";
export { correlationFields, createLogger, traceFields, type Logger, type LoggerOptions } from "./logger";
export { createHasuraClient, HasuraRequestError, type HasuraClient, type HasuraClientOptions } from "./hasura-client";
export { createSecretChecker, eventSecretHeader } from "./secret";
export { inTransaction, runOnce, type DeliveryOutcome } from "./transaction";
export { callerFrom, createService, type CreateServiceOptions, type Service } from "./server";
export { main, runService, type RunningService, type RunServiceOptions } from "./run";
export { assertNoDrift, checkDrift, DriftError } from "./drift/check";
export {
  handlerUrlTemplate,
  serviceUrlEnvName,
  type HasuraActionEntry,
  type HasuraCronTriggerEntry,
  type HasuraEventTriggerEntry,
  type HasuraMetadataSnapshot,
  type HasuraTableEventTrigger,
} from "./drift/metadata";
