/**
 * Every rule of the pulsura policy pack. Importing this module starts nothing: `policy/index.ts` wraps these rules in
 * a PolicyPack for `pulumi preview --policy-pack policy`, and the offline plan runs them directly.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { cloudRunPolicies } from "./cloudrun";
import { databasePolicies } from "./database";
import { edgePolicies } from "./edge";
import { functionsPolicies } from "./functions";
import { iamPolicies } from "./iam";
import { jobsPolicies } from "./jobs";
import { monitoringPolicies } from "./monitoring";
import { networkPolicies } from "./network";
import { projectPolicies } from "./project";
import { storagePolicies } from "./storage";

/**
 * A rule of the pack. Every rule is mandatory unless policy/environments.ts says otherwise for dev; a rule that only
 * warns ahead of time (a runtime nearing its decommission date) is advisory everywhere.
 */
export type PulsuraPolicy = (ResourceValidationPolicy | StackValidationPolicy) & { enforcementLevel: "mandatory" | "advisory" };

export const policies: readonly PulsuraPolicy[] = [...projectPolicies, ...networkPolicies, ...databasePolicies, ...iamPolicies, ...cloudRunPolicies, ...functionsPolicies, ...monitoringPolicies, ...storagePolicies, ...edgePolicies, ...jobsPolicies];
