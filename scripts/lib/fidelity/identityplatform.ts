/**
 * Identity Platform (Firebase Auth): the identity providers and blocking-function events the program configures.
 */
import { enumRule, show, valueAt, type FidelityRule } from "./rule";

const IDP_CONFIG = "gcp:identityplatform/defaultSupportedIdpConfig:DefaultSupportedIdpConfig";
const CONFIG = "gcp:identityplatform/config:Config";

/**
 * Blocking-function events. The REST reference (BlockingFunctionsConfig.triggers, keyed by event type) and the
 * blocking-functions guide name beforeCreate and beforeSignIn; beforeSendEmail and beforeSendSms are the later events
 * of firebase-functions' identity module. Their exact list is not stated in one place: all four are accepted.
 */
const BLOCKING_EVENTS = ["beforeCreate", "beforeSignIn", "beforeSendEmail", "beforeSendSms"];

export const identityPlatformRules: FidelityRule[] = [
  // The provider's documented values of idp_id (DefaultSupportedIdpConfig): the ids
  // projects.defaultSupportedIdps.list returns.
  enumRule({
    id: "identityplatform/idp-id",
    types: [IDP_CONFIG],
    field: "idpId",
    source: "https://cloud.google.com/identity-platform/docs/reference/rest/v2/projects.defaultSupportedIdpConfigs",
    values: ["apple.com", "facebook.com", "gc.apple.com", "github.com", "google.com", "linkedin.com", "microsoft.com", "playgames.google.com", "twitter.com", "yahoo.com"],
  }),
  {
    id: "identityplatform/blocking-event",
    types: [CONFIG],
    field: "blockingFunctions.triggers",
    constraint: `event types ${BLOCKING_EVENTS.join(", ")}, each with an https functionUri`,
    source: "https://cloud.google.com/identity-platform/docs/blocking-functions",
    check(config) {
      const triggers = valueAt(config.inputs, "blockingFunctions.triggers");
      if (!Array.isArray(triggers)) return [];
      return triggers.flatMap((trigger: Record<string, unknown>) => [
        ...(BLOCKING_EVENTS.includes(trigger.eventType as string) ? [] : [`eventType ${show(trigger.eventType)}`]),
        ...(typeof trigger.functionUri !== "string" || trigger.functionUri.startsWith("https://") ? [] : [`functionUri ${show(trigger.functionUri)}`]),
      ]);
    },
  },
];
