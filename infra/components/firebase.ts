import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PulsuraComponent } from "./component";

export interface FirebaseArgs {
  projectId: string;
  /** Hosting site id (globally unique): serves at https://<siteId>.web.app and https://<siteId>.firebaseapp.com. */
  hostingSiteId: string;
  /** Name shown in the Firebase console for the web app. */
  displayName: string;
  /**
   * Firebase is already on the project (console, CLI): import it (`projects/<project>`) instead of calling addFirebase,
   * which fails once Firebase is there. @default false
   */
  adoptExisting: boolean;
}

/** The web app's Firebase options, as the Flutter template and any web client need them. */
export interface FirebaseWebOptions {
  apiKey: pulumi.Output<string>;
  appId: pulumi.Output<string>;
  authDomain: pulumi.Output<string>;
  projectId: string;
  messagingSenderId: pulumi.Output<string>;
  /**
   * The default Cloud Storage for Firebase bucket, or "" when the project has none: the stack does not create one
   * (it needs the Blaze plan, and nothing here uses it), and Firebase documents that "the default bucket for the
   * Project might not yet be provisioned" (Firebase Management API, WebAppConfig.storageBucket).
   */
  storageBucket: pulumi.Output<string>;
}

/**
 * Firebase on the stack's GCP project: the Firebase project itself, a web app for clients and a hosting site for the
 * Flutter template's web build.
 */
export class Firebase extends PulsuraComponent {
  readonly project: gcp.firebase.Project;
  /** The id the Firebase project is imported by, when adopted (Pulumi's `import` option). */
  readonly projectImportId?: string;
  readonly webApp: gcp.firebase.WebApp;
  readonly hostingSite: gcp.firebase.HostingSite;
  /** The project's default Hosting site (site id = project id), which serves `<project>.firebaseapp.com/__/auth/handler`. */
  readonly defaultHostingSite: gcp.firebase.HostingSite;
  readonly webOptions: FirebaseWebOptions;
  /**
   * Domains OAuth sign-in redirects may use: the project's default Firebase domains (authDomain
   * `<project>.firebaseapp.com` and `<project>.web.app`) and the hosting site's.
   */
  readonly authDomains: string[];
  /** Domains the hosting site serves on. */
  readonly hostingDomains: string[];

  constructor(name: string, args: FirebaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:firebase:Firebase", name, opts);
    // Firebase can be added to a project once ("Once Firebase has been added to a Google Project it cannot be
    // removed"); an existing one is imported (https://www.pulumi.com/docs/iac/concepts/resources/options/import/).
    this.projectImportId = args.adoptExisting ? `projects/${args.projectId}` : undefined;
    this.project = new gcp.firebase.Project(
      `${name}-firebase`,
      { project: args.projectId },
      this.childOptions(this.projectImportId ? { import: this.projectImportId, retainOnDelete: true } : {}),
    );
    const afterFirebase = this.childOptions({ dependsOn: [this.project] });
    this.webApp = new gcp.firebase.WebApp(`${name}-web-app`, { project: args.projectId, displayName: args.displayName, deletionPolicy: "DELETE" }, afterFirebase);
    this.hostingSite = new gcp.firebase.HostingSite(`${name}-site`, { project: args.projectId, siteId: args.hostingSiteId, appId: this.webApp.appId }, afterFirebase);
    this.hostingDomains = [`${args.hostingSiteId}.web.app`, `${args.hostingSiteId}.firebaseapp.com`];
    // Web OAuth sign-in redirects through authDomain <project>.firebaseapp.com/__/auth/handler, which the project's
    // DEFAULT Hosting site serves (Firebase Management WebAppConfig.authDomain; https://firebase.google.com/docs/auth/web/redirect-best-practices).
    // A project that got Firebase through the API may have no default site. Creating a HostingSite is an upsert that
    // adopts an existing site (https://github.com/GoogleCloudPlatform/magic-modules/pull/10986), so this works either
    // way; the default site outlives the stack (it belongs to the project).
    this.defaultHostingSite = new gcp.firebase.HostingSite(
      `${name}-default-site`,
      { project: args.projectId, siteId: args.projectId },
      this.childOptions({ dependsOn: [this.project], retainOnDelete: true }),
    );
    this.authDomains = [`${args.projectId}.firebaseapp.com`, `${args.projectId}.web.app`, ...this.hostingDomains];

    const config = gcp.firebase.getWebAppConfigOutput({ project: args.projectId, webAppId: this.webApp.appId }, { parent: this });
    this.webOptions = {
      apiKey: config.apiKey,
      appId: this.webApp.appId,
      authDomain: config.authDomain,
      projectId: args.projectId,
      messagingSenderId: config.messagingSenderId,
      storageBucket: config.storageBucket,
    };
    this.registerOutputs({ appId: this.webApp.appId, hostingSite: this.hostingSite.siteId });
  }
}
