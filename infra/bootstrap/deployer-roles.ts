/**
 * What the deployer service account may do in each project that a pulsura stack deploys into, and why.
 *
 * Each role names the resource types of the pulsura program that need it (`neededFor`), so a test can check both
 * directions against the offline plans of every stack: every resource type the program declares is covered by a role,
 * and every role is needed by some declared resource type. Add a resource type to the program and that test tells you
 * which role to add here; stop using one and it tells you which role to drop.
 *
 * No basic role (owner, editor, viewer) appears here, and none may: see `FORBIDDEN_ROLES`.
 */

export interface DeployerRole {
  /** A predefined role, granted on each deploy project. */
  role: string;
  /** Why `pulumi up` needs it. */
  reason: string;
  /**
   * Resource types of the pulsura program that need this role: exact type tokens, or a module prefix ending in "/"
   * (e.g. `gcp:sql/` for every Cloud SQL type).
   */
  neededFor: string[];
}

/**
 * Roles of the deployer on every deploy project. `roles/resourcemanager.projectIamAdmin` is granted with a condition.
 * No role here creates, changes or impersonates service accounts: the bootstrap creates the workloads' accounts
 * (infra/workloads.ts) and grants the deployer `roles/iam.serviceAccountUser` (actAs) on each of them only, because a
 * project-wide actAs would also let it run code as the project's default compute account (Editor by default), and
 * project-wide serviceAccountAdmin could grant it token creation on any account. IAM Conditions cannot narrow either
 * grant to some accounts: the grant limit (`modifiedGrantsByRole`) applies to project, folder and organization policies
 * only (https://cloud.google.com/iam/docs/setting-limits-on-granting-roles), and service accounts are not among the
 * resource types that resource-name conditions recognise (https://cloud.google.com/iam/docs/conditions-resource-attributes).
 */
export const DEPLOYER_PROJECT_ROLES: readonly DeployerRole[] = [
  {
    role: "roles/serviceusage.serviceUsageAdmin",
    reason:
      "enables the Google APIs the stack uses (the program never disables them), and serviceusage.services.use for the quota project the provider names (gcp:userProjectOverride + gcp:billingProject)",
    neededFor: ["gcp:projects/service:Service"],
  },
  {
    role: "roles/resourcemanager.projectIamAdmin",
    reason:
      "grants workloads their few project roles; conditioned so that it can grant or revoke only the roles in grantableProjectRoles, never owner/editor or itself",
    neededFor: ["gcp:projects/iAMMember:IAMMember"],
  },
  {
    role: "roles/compute.networkAdmin",
    reason:
      "the VPC, its subnet, Cloud Router, Cloud NAT and the private services range (no firewall rights); with an API domain the load balancer's address, backend service (and attaching the Armor policy: compute.backendServices.setSecurityPolicy, compute.securityPolicies.use), URL maps, proxies, forwarding rules and SSL policy",
    neededFor: [
      "gcp:compute/network:Network",
      "gcp:compute/subnetwork:Subnetwork",
      "gcp:compute/router:Router",
      "gcp:compute/routerNat:RouterNat",
      "gcp:compute/globalAddress:GlobalAddress",
      "gcp:compute/backendService:BackendService",
      "gcp:compute/uRLMap:URLMap",
      "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
      "gcp:compute/targetHttpProxy:TargetHttpProxy",
      "gcp:compute/globalForwardingRule:GlobalForwardingRule",
      "gcp:compute/sSLPolicy:SSLPolicy",
    ],
  },
  {
    role: "roles/compute.securityAdmin",
    reason:
      "firewall rules of the VPC, and with an API domain the Cloud Armor policy (compute.securityPolicies.*) and the managed certificate (compute.sslCertificates.*), which compute.networkAdmin excludes",
    neededFor: ["gcp:compute/firewall:Firewall", "gcp:compute/securityPolicy:SecurityPolicy", "gcp:compute/managedSslCertificate:ManagedSslCertificate"],
  },
  {
    role: "roles/compute.loadBalancerAdmin",
    reason:
      "the serverless NEG of an API domain's load balancer (compute.regionNetworkEndpointGroups.create, which compute.networkAdmin lacks); the least predefined role with it (the others are compute.instanceAdmin.v1, compute.admin, editor), and it holds no actAs, instance or firewall right",
    neededFor: ["gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"],
  },
  {
    role: "roles/vpcaccess.admin",
    reason: "the optional Serverless VPC Access connector (pulsura:network.connector true)",
    neededFor: ["gcp:vpcaccess/"],
  },
  {
    role: "roles/servicenetworking.networksAdmin",
    reason: "the private services access peering that puts Cloud SQL on a private IP",
    neededFor: ["gcp:servicenetworking/connection:Connection"],
  },
  {
    role: "roles/cloudsql.admin",
    reason: "the Cloud SQL instance, its databases and users",
    neededFor: ["gcp:sql/"],
  },
  {
    role: "roles/secretmanager.admin",
    reason: "secrets, their versions and the per-secret accessor grants",
    neededFor: ["gcp:secretmanager/"],
  },
  {
    role: "roles/artifactregistry.admin",
    reason: "the image repositories (including the remote Docker Hub proxy) and pushing the microservice images",
    neededFor: ["gcp:artifactregistry/", "docker:index/image:Image"],
  },
  {
    role: "roles/run.admin",
    reason: "the Cloud Run services and their invoker grants",
    neededFor: ["gcp:cloudrunv2/"],
  },
  {
    role: "roles/cloudtasks.queueAdmin",
    reason:
      "the Cloud Tasks queue of each service with jobs and its enqueuer grant (cloudtasks.queues.create/update/delete, cloudtasks.queues.setIamPolicy); no task rights: it neither creates nor reads tasks",
    neededFor: ["gcp:cloudtasks/"],
  },
  {
    role: "roles/cloudfunctions.admin",
    reason: "the user-sync functions (1st and 2nd gen) and their IAM",
    neededFor: ["gcp:cloudfunctions/", "gcp:cloudfunctionsv2/"],
  },
  {
    role: "roles/pubsub.admin",
    reason:
      "the files bucket's upload topic, its push subscription and the topic's publisher grant to the Cloud Storage agent: roles/pubsub.editor lacks pubsub.topics.setIamPolicy, and pubsub.admin is the least predefined role with it",
    neededFor: ["gcp:pubsub/"],
  },
  {
    role: "roles/storage.admin",
    reason:
      "the functions' source bucket and the files bucket, their objects, IAM grants and the upload notification (storage.buckets.update); the state bucket lives in the admin project, out of reach",
    neededFor: ["gcp:storage/"],
  },
  {
    role: "roles/firebase.admin",
    reason: "adds Firebase to the project and manages the web app and the Hosting site",
    neededFor: ["gcp:firebase/"],
  },
  {
    role: "roles/identitytoolkit.admin",
    reason: "the Identity Platform (Firebase Auth) config: sign-in methods, OAuth providers, blocking function",
    neededFor: ["gcp:identityplatform/"],
  },
  // Monitoring (infra/components/monitoring.ts): one narrow role per resource type, not roles/monitoring.editor (80
  // permissions: metric writes, groups, services, snoozes...).
  { role: "roles/monitoring.alertPolicyEditor", reason: "the stack's alert policies (create, update, delete; no incident or metric rights)", neededFor: ["gcp:monitoring/alertPolicy:AlertPolicy"] },
  { role: "roles/monitoring.uptimeCheckConfigEditor", reason: "the uptime check on Hasura's public health path", neededFor: ["gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"] },
  { role: "roles/monitoring.notificationChannelEditor", reason: "the alert e-mail notification channels (and their verification)", neededFor: ["gcp:monitoring/notificationChannel:NotificationChannel"] },
  { role: "roles/monitoring.dashboardEditor", reason: "the stack's Cloud Monitoring dashboard", neededFor: ["gcp:monitoring/dashboard:Dashboard"] },
  {
    role: "roles/logging.configWriter",
    reason:
      "the log exclusion on the _Default sink (logging.exclusions.*) and the log-based metrics on Hasura's delivery logs (logging.logMetrics.*); the least predefined role holding them, and it reads no log entry (roles/logging.admin does)",
    neededFor: ["gcp:logging/projectExclusion:ProjectExclusion", "gcp:logging/metric:Metric"],
  },
];

/**
 * Roles the deployer needs on a billing account, not on a project: granted by a billing account administrator, never by
 * the bootstrap (which grants nothing on billing accounts). Only stacks that set `pulsura:monitoring.budget` need it.
 */
export const DEPLOYER_BILLING_ACCOUNT_ROLES: readonly DeployerRole[] = [
  {
    role: "roles/billing.costsManager",
    reason:
      "the stack's budget (billing.budgets.*) on the billing account named by pulsura:monitoring.budget.billingAccount; grant it with `gcloud billing accounts add-iam-policy-binding`",
    neededFor: ["gcp:billing/budget:Budget"],
  },
];

/**
 * Roles of the previewer on every deploy project: read-only, and only what `pulumi preview` of a pull request reads.
 *
 * A preview reads the state (from the state bucket, with the key to decrypt its secrets), asks each provider to check
 * and diff the new inputs (no Google API call for the Google provider; the Hasura dynamic resources compare inputs
 * with the state and call nothing, infra/dynamic/*.ts `check`/`diff`), runs the program's data sources
 * (`gcp.organizations.getProject`, `gcp.firebase.getWebAppConfig`), and with `--refresh` reads every resource.
 * The roles below cover the refresh of each resource type the program declares, except where the only viewer role
 * also reads user data: those types are in {@link PREVIEW_UNREADABLE} and a preview must run without `--refresh`
 * (the pull-request workflow does). A pull request's code runs with these rights, so nothing here reads a secret's
 * value, a database, a user record or an object's contents.
 */
export const PREVIEWER_PROJECT_ROLES: readonly DeployerRole[] = [
  {
    role: "roles/serviceusage.serviceUsageConsumer",
    reason: "reads the enabled APIs, and serviceusage.services.use for the quota project the provider names (gcp:userProjectOverride + gcp:billingProject), which every data source call needs",
    neededFor: ["gcp:projects/service:Service"],
  },
  {
    role: "roles/iam.securityReviewer",
    reason: "reads the IAM policies of the project and its resources (the program's IAM member grants); lists and gets only, no data",
    neededFor: [
      "gcp:projects/iAMMember:IAMMember",
      "gcp:secretmanager/secretIamMember:SecretIamMember",
      "gcp:storage/bucketIAMMember:BucketIAMMember",
      "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
      "gcp:cloudfunctions/functionIamMember:FunctionIamMember",
      "gcp:pubsub/topicIAMMember:TopicIAMMember",
      "gcp:cloudtasks/queueIamMember:QueueIamMember",
    ],
  },
  {
    role: "roles/compute.networkViewer",
    reason:
      "reads the VPC, subnet, router, NAT, firewall rules, the private services range and its peering (servicenetworking.services.get), and with an API domain the status of its managed certificate, which the program reads before planning Hasura's ingress (compute.sslCertificates.get, infra/edge-cutover.ts)",
    neededFor: ["gcp:compute/", "gcp:servicenetworking/connection:Connection"],
  },
  { role: "roles/vpcaccess.viewer", reason: "reads the optional Serverless VPC Access connector", neededFor: ["gcp:vpcaccess/"] },
  { role: "roles/secretmanager.viewer", reason: "reads secrets' metadata and versions' state, never a payload (no secretmanager.versions.access)", neededFor: ["gcp:secretmanager/secret:Secret", "gcp:secretmanager/secretVersion:SecretVersion"] },
  { role: "roles/artifactregistry.reader", reason: "reads the image repositories, and pulls base images through the Docker Hub proxy when an image is built on preview", neededFor: ["gcp:artifactregistry/", "docker:index/image:Image"] },
  { role: "roles/run.viewer", reason: "reads the Cloud Run services", neededFor: ["gcp:cloudrunv2/service:Service"] },
  { role: "roles/cloudfunctions.viewer", reason: "reads the user-sync functions", neededFor: ["gcp:cloudfunctions/function:Function", "gcp:cloudfunctionsv2/function:Function"] },
  {
    role: "roles/storage.bucketViewer",
    reason: "reads the functions' source bucket and the files bucket, and the files bucket's notification (storage.buckets.get: bucket metadata only, no object contents)",
    neededFor: ["gcp:storage/bucket:Bucket", "gcp:storage/notification:Notification"],
  },
  {
    role: "roles/pubsub.viewer",
    reason: "reads the upload topic and its push subscription (get and list only: no pubsub.subscriptions.consume, so no message, which names users' files)",
    neededFor: ["gcp:pubsub/topic:Topic", "gcp:pubsub/subscription:Subscription"],
  },
  {
    role: "roles/firebasehosting.viewer",
    reason: "the web app config data source (firebase.clients.get), the Firebase project and the Hosting site; no user data, unlike roles/firebase.viewer",
    neededFor: ["gcp:firebase/project:Project", "gcp:firebase/webApp:WebApp", "gcp:firebase/hostingSite:HostingSite"],
  },
  // Monitoring: the viewer role of each type the deployer edits (roles/monitoring.viewer would add time series and more).
  { role: "roles/monitoring.alertPolicyViewer", reason: "reads the alert policies (get and list only)", neededFor: ["gcp:monitoring/alertPolicy:AlertPolicy"] },
  { role: "roles/monitoring.uptimeCheckConfigViewer", reason: "reads the uptime check (get and list only)", neededFor: ["gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"] },
  { role: "roles/monitoring.notificationChannelViewer", reason: "reads the notification channels and their descriptors (get and list only)", neededFor: ["gcp:monitoring/notificationChannel:NotificationChannel"] },
  { role: "roles/monitoring.dashboardViewer", reason: "reads the dashboard (get and list only)", neededFor: ["gcp:monitoring/dashboard:Dashboard"] },
];

/**
 * Resource types the previewer cannot read, and why: a preview with `--refresh` fails on them, a preview without it
 * (the pull-request workflow's) never reads them.
 */
export const PREVIEW_UNREADABLE: ReadonlyArray<{ prefix: string; reason: string }> = [
  {
    prefix: "gcp:identityplatform/",
    reason: "roles/identitytoolkit.viewer and roles/firebase.viewer, the only roles that read the Identity Platform config, also read every user record (firebaseauth.users.get)",
  },
  {
    prefix: "gcp:sql/",
    reason: "roles/cloudsql.viewer, the role that reads the Cloud SQL instance, also holds cloudsql.instances.export, which writes the database's contents to a bucket of the caller's choice",
  },
  {
    prefix: "gcp:logging/projectExclusion:ProjectExclusion",
    reason:
      "every role that reads log exclusions (logging.exclusions.get) either reads log entries too (roles/logging.viewer: logging.logEntries.list, and Hasura's and the services' logs carry user ids and errors) or writes the logging config (roles/logging.configWriter: a sink can route every log elsewhere)",
  },
  { prefix: "gcp:storage/bucketObject:BucketObject", reason: "reading an object means reading its contents (storage.objects.get); the functions' source is in the repository anyway" },
  {
    prefix: "gcp:logging/metric:Metric",
    reason: "every predefined role that reads log-based metrics (roles/logging.viewer and up) also lists log entries (logging.logEntries.list), which carry user data",
  },
  {
    prefix: "gcp:compute/securityPolicy:SecurityPolicy",
    reason:
      "the only read-only predefined roles with compute.securityPolicies.get are roles/compute.viewer and the notebooks viewers, which also read every VM's metadata (compute.instances.get), where startup scripts and keys of other workloads in the project can live",
  },
  {
    prefix: "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
    reason: "roles/compute.networkViewer lacks compute.regionNetworkEndpointGroups.get; the read-only roles with it (roles/compute.viewer, notebooks viewers) also read every VM's metadata",
  },
  {
    prefix: "gcp:cloudtasks/queue:Queue",
    reason:
      "roles/cloudtasks.viewer, the read-only role with cloudtasks.queues.get, also holds cloudtasks.tasks.fullView, which reads the queued tasks' bodies (the jobs' payloads, naming users and organizations)",
  },
  { prefix: "gcp:billing/", reason: "a budget lives on the billing account, where the bootstrap grants nothing (roles/billing.viewer there would read the account's costs)" },
];

/**
 * Project roles the pulsura program itself grants to its workloads (gcp.projects.IAMMember). The deployer's
 * projectIamAdmin binding is conditioned on exactly these. A test keeps this list equal to the roles the program grants.
 */
export const DEFAULT_GRANTABLE_PROJECT_ROLES: readonly string[] = [
  "roles/artifactregistry.writer",
  "roles/firebaseauth.admin",
  "roles/logging.logWriter",
  // The functions' custom build account (https://cloud.google.com/run/docs/configuring/services/build-service-account).
  "roles/storage.objectAdmin",
];

/**
 * Roles the deployer must never hold or be able to grant: basic roles, and roles that can rewrite a project's IAM
 * policy or mint credentials (which would undo the condition on projectIamAdmin).
 */
export const FORBIDDEN_ROLES: readonly string[] = [
  "roles/owner",
  "roles/editor",
  "roles/viewer",
  "roles/resourcemanager.projectIamAdmin",
  "roles/iam.securityAdmin",
  // Project-wide, these two let the deployer act as every account of the project, and grant itself token creation on any.
  "roles/iam.serviceAccountAdmin",
  "roles/iam.serviceAccountUser",
  "roles/iam.roleAdmin",
  "roles/iam.serviceAccountKeyAdmin",
  "roles/iam.serviceAccountTokenCreator",
  "roles/iam.workloadIdentityPoolAdmin",
];

/** Whether a resource type matches one of a role's `neededFor` patterns. */
export function matchesResourceType(pattern: string, type: string): boolean {
  return pattern.endsWith("/") ? type.startsWith(pattern) : type === pattern;
}

/**
 * The IAM condition that limits projectIamAdmin to granting and revoking only the given roles
 * (Google Cloud "Set limits on granting roles", attribute `iam.googleapis.com/modifiedGrantsByRole`).
 */
export function grantLimitExpression(roles: readonly string[]): string {
  const list = [...roles].sort().map((role) => `'${role}'`).join(", ");
  return `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${list}])`;
}
