import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PulsuraComponent } from "./component";

/** Identity Platform's ids for the OAuth providers pulsura supports. */
const IDP_IDS = { google: "google.com", facebook: "facebook.com", apple: "apple.com" } as const;

export interface AuthenticationArgs {
  projectId: string;
  /** Phone sign-in, with test numbers (E.164 → code) only where config gives them. */
  phone: { enabled: boolean; testPhoneNumbers: Record<string, string> };
  email: { enabled: boolean; passwordRequired: boolean };
  /** OAuth providers: client id and client secret (a Pulumi secret). */
  oauth: Partial<Record<keyof typeof IDP_IDS, { clientId: string; clientSecret: pulumi.Input<string> }>>;
  /** Regions allowed to receive sign-in SMS; empty leaves Identity Platform's default. */
  smsRegions: string[];
  /**
   * Domains allowed for sign-in redirects. The list REPLACES Identity Platform's (update mask authorizedDomains), so it
   * must carry the defaults Firebase sets itself: `<project>.firebaseapp.com`, `<project>.web.app`, and localhost
   * (dev only here). Hosting domains and custom domains too.
   */
  authorizedDomains: string[];
  /** URL of the gen2 blocking function called before a user is created. */
  beforeCreateUri: pulumi.Input<string>;
  /**
   * Identity Platform is already enabled on the project: import its config (`projects/<project>/config`) instead of
   * initializing it, which fails once it is enabled. @default false
   */
  adoptExisting: boolean;
}

/**
 * Identity Platform (Firebase Auth) settings: sign-in methods, OAuth providers, authorized domains, SMS regions and
 * the blocking function that puts Hasura's claims in the first ID token.
 */
export class Authentication extends PulsuraComponent {
  readonly config: gcp.identityplatform.Config;
  /** The id the Identity Platform config is imported by, when adopted (Pulumi's `import` option). */
  readonly configImportId?: string;

  constructor(name: string, args: AuthenticationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:auth:Authentication", name, opts);
    this.configImportId = args.adoptExisting ? `projects/${args.projectId}/config` : undefined;
    this.config = new gcp.identityplatform.Config(
      `${name}-identity`,
      {
        project: args.projectId,
        signIn: {
          phoneNumber: { enabled: args.phone.enabled, testPhoneNumbers: args.phone.testPhoneNumbers },
          email: { enabled: args.email.enabled, passwordRequired: args.email.passwordRequired },
          allowDuplicateEmails: false,
        },
        authorizedDomains: args.authorizedDomains,
        ...(args.smsRegions.length > 0 ? { smsRegionConfig: { allowlistOnly: { allowedRegions: args.smsRegions } } } : {}),
        blockingFunctions: { triggers: [{ eventType: "beforeCreate", functionUri: args.beforeCreateUri }] },
      },
      // Identity Platform is initialized once per project and "cannot be deleted": adopt an existing one by import
      // (https://www.pulumi.com/docs/iac/concepts/resources/options/import/), and never delete it.
      this.childOptions(this.configImportId ? { import: this.configImportId, retainOnDelete: true } : {}),
    );
    for (const [provider, settings] of Object.entries(args.oauth) as Array<[keyof typeof IDP_IDS, { clientId: string; clientSecret: pulumi.Input<string> }]>) {
      new gcp.identityplatform.DefaultSupportedIdpConfig(
        `${name}-idp-${provider}`,
        { project: args.projectId, idpId: IDP_IDS[provider], clientId: settings.clientId, clientSecret: pulumi.secret(settings.clientSecret), enabled: true },
        this.childOptions({ dependsOn: [this.config] }),
      );
    }
    this.registerOutputs({});
  }
}
