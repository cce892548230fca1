// Shared helpers for the infra tests: synthesize the app once with bundling skipped, read the
// state machine definition out of the template, and find resources by their handler metadata.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build-app.js';
import { HANDLER_METADATA } from '../../infra/constructs/segmentation-function.js';
import type { AudienceSegmentationStack } from '../../infra/stack.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface CfnResource {
  Type: string;
  Properties: Record<string, Json>;
  Metadata?: Record<string, Json>;
  DeletionPolicy?: string;
}
export interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  ItemsPath?: string;
  ItemSelector?: Record<string, Json>;
  MaxConcurrency?: number;
  ItemProcessor?: {
    ProcessorConfig?: Record<string, string>;
    StartAt: string;
    States: Record<string, State>;
  };
  Branches?: { StartAt: string; States: Record<string, State> }[];
  [k: string]: unknown;
}
export interface Definition {
  StartAt: string;
  States: Record<string, State>;
  [k: string]: unknown;
}

/**
 * Builds the app from context without bundling (the tests never need the function code). CDK's
 * built-in CloudFormation validation (a 15–30 s WASM pass) runs only with the nag gate, which owns
 * "no findings"; template assertions don't need it.
 */
export function synthStack(
  context: Record<string, unknown> = {},
  nag = false,
): { app: App; stack: AudienceSegmentationStack; template: Template } {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: nag,
  });
  const { stack } = buildApp(app, { nag });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

/** The product's functions (those carrying handler metadata), by handler folder name. */
export function functionsByHandler(
  template: Template,
): Record<string, { id: string; resource: CfnResource }> {
  const out: Record<string, { id: string; resource: CfnResource }> = {};
  for (const [id, resource] of Object.entries(resourcesOf(template, 'AWS::Lambda::Function'))) {
    const handler = resource.Metadata?.[HANDLER_METADATA];
    if (typeof handler === 'string') out[handler] = { id, resource };
  }
  return out;
}

/** The IAM statements attached to a role (inline policies and AWS::IAM::Policy resources). */
export function statementsOfRole(template: Template, roleId: string): Record<string, Json>[] {
  const role = resourcesOf(template, 'AWS::IAM::Role')[roleId];
  const inline = (
    (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Record<string, Json>[] } }[]
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) =>
      (p.Properties.Roles as Json[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
    )
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, Json>[] }).Statement);
  return [...inline, ...attached];
}

/**
 * The state machine definition as an object. DefinitionString is an Fn::Join of literal JSON and
 * intrinsic functions (function ARNs): each intrinsic becomes a placeholder naming what it references.
 */
export function definitionOf(template: Template): Definition {
  const machines = Object.values(resourcesOf(template, 'AWS::StepFunctions::StateMachine'));
  const raw = machines[0].Properties.DefinitionString;
  const placeholder = (part: Json): string => {
    if (typeof part === 'string') return part;
    if (part && typeof part === 'object' && !Array.isArray(part)) {
      if ('Fn::GetAtt' in part) return `\${${(part['Fn::GetAtt'] as string[]).join('.')}}`;
      if ('Ref' in part) return `\${${part.Ref as string}}`;
    }
    return '<intrinsic>';
  };
  const text =
    typeof raw === 'string'
      ? raw
      : ((raw as { 'Fn::Join': [string, Json[]] })['Fn::Join'][1] ?? []).map(placeholder).join('');
  return JSON.parse(text) as Definition;
}

/** Every state of the definition, nested ones included, by name. */
export function allStates(definition: { States: Record<string, State> }): Record<string, State> {
  const out: Record<string, State> = {};
  const walk = (states: Record<string, State>): void => {
    for (const [name, state] of Object.entries(states)) {
      out[name] = state;
      if (state.ItemProcessor) walk(state.ItemProcessor.States);
      for (const branch of state.Branches ?? []) walk(branch.States);
    }
  };
  walk(definition.States);
  return out;
}
