import * as pulumi from "@pulumi/pulumi";

type DependsOn = pulumi.ResourceOptions["dependsOn"];

/** `dependsOn` as a list. pulsura passes resources (not outputs of lists) as dependencies. */
function asList(value: DependsOn): pulumi.Input<pulumi.Resource>[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as pulumi.Input<pulumi.Resource>[]) : [value as pulumi.Input<pulumi.Resource>];
}

/**
 * Base of pulsura's components.
 *
 * Pulumi does not pass a component's `dependsOn` down to its children, so a child created in the constructor would not
 * wait for what the component was told to wait for (the Google APIs it needs). `childOptions()` gives every child its
 * parent and those dependencies.
 */
export abstract class PulsuraComponent extends pulumi.ComponentResource {
  private readonly inheritedDependsOn: pulumi.Input<pulumi.Resource>[];

  protected constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.inheritedDependsOn = asList(opts?.dependsOn);
  }

  /** Options for a child resource: parented to this component, after the component's own dependencies. */
  protected childOptions(opts: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
    const own = asList(opts.dependsOn);
    return { ...opts, parent: this, dependsOn: [...this.inheritedDependsOn, ...own] };
  }
}
