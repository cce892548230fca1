// Reads the synthesized CloudFormation template the way the local runner needs it: the state
// machine definition with Lambda ARNs resolved to the handlers they stand for, the tables to
// create, and each function's environment with Refs resolved to local resource names.
import { HANDLER_METADATA } from '../constructs/handler-metadata.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}
export interface Template {
  Resources: Record<string, Resource>;
}

export interface LocalTable {
  logicalId: string;
  name: string;
  properties: Record<string, Json>;
}

export interface LocalModel {
  definition: Record<string, Json>;
  bucketName: string;
  tables: LocalTable[];
  /** state name → handler folder under functions/ */
  taskHandlers: Record<string, string>;
  /** state name → its function's Timeout in seconds (Lambda's default 3 s when unset), enforced locally */
  taskTimeoutSeconds: Record<string, number>;
  /** union of every function's resolved environment */
  environment: Record<string, string>;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/**
 * Synthesizes the app without bundling (the local runner calls handlers in-process). aws-cdk-lib and the
 * constructs are loaded here, on demand: a run whose model is cached (model-cache.ts) never loads them.
 */
export async function synthesizeTemplate(): Promise<Template> {
  const [{ App }, { buildApp }] = await Promise.all([import('aws-cdk-lib'), import('../build-app.js')]);
  // no bundling (handlers run in-process) and no built-in CloudFormation validation (a 15–30 s
  // WASM pass that `cdk synth` still runs): the local runner needs the template, fast
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const { stack } = buildApp(app, { nag: false });
  return app.synth().getStackByName(stack.stackName).template as Template;
}

const LOCAL_ACCOUNT = '000000000000';

export function localModel(template: Template, options: { bucketName?: string } = {}): LocalModel {
  const resources = template.Resources;
  // the data bucket is the one the functions are told about in BUCKET_NAME
  const bucketRefs = new Set<string>();
  for (const r of Object.values(resources)) {
    const vars = (r.Properties?.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables;
    const ref = vars?.BUCKET_NAME as { Ref?: string } | undefined;
    if (r.Type === 'AWS::Lambda::Function' && ref?.Ref) bucketRefs.add(ref.Ref);
  }
  if (bucketRefs.size !== 1)
    throw new TemplateError(`expected one data bucket in BUCKET_NAME, found ${bucketRefs.size}`);
  const [bucketLogicalId] = bucketRefs;
  const bucketName = options.bucketName ?? 'segmentation-local';
  const tables: LocalTable[] = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
    .map(([logicalId, r]) => ({ logicalId, name: `local-${logicalId}`, properties: r.Properties ?? {} }));
  const names = new Map<string, string>([
    [bucketLogicalId, bucketName],
    ...tables.map((t) => [t.logicalId, t.name] as [string, string]),
  ]);

  const resolve = (value: Json): Json => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(resolve);
    if ('Ref' in value) {
      const id = value.Ref as string;
      if (id === 'AWS::Region') return 'us-east-1';
      if (id === 'AWS::AccountId') return LOCAL_ACCOUNT;
      if (id === 'AWS::Partition') return 'aws';
      const res = resources[id];
      if (names.has(id)) return names.get(id)!;
      if (res?.Type === 'AWS::Lambda::Function') return id;
      return `local-${id}`;
    }
    if ('Fn::GetAtt' in value) {
      const [id, attr] = value['Fn::GetAtt'] as [string, string];
      const res = resources[id];
      if (res?.Type === 'AWS::Lambda::Function' && attr === 'Arn') {
        return `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${id}`;
      }
      return `arn:aws:local:us-east-1:${LOCAL_ACCOUNT}:${id}/${attr}`;
    }
    if ('Fn::Join' in value) {
      const [sep, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map((p) => String(resolve(p))).join(sep);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
  };

  const handlerByLogicalId = new Map<string, string>();
  const timeoutByLogicalId = new Map<string, number>();
  const environment: Record<string, string> = {};
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const handler = r.Metadata?.[HANDLER_METADATA];
    if (typeof handler !== 'string') continue;
    handlerByLogicalId.set(id, handler);
    timeoutByLogicalId.set(id, typeof r.Properties?.Timeout === 'number' ? r.Properties.Timeout : 3);
    const vars = ((r.Properties?.Environment as Record<string, Json> | undefined)?.Variables ?? {}) as Record<
      string,
      Json
    >;
    for (const [k, v] of Object.entries(vars)) {
      const resolved = String(resolve(v));
      if (environment[k] !== undefined && environment[k] !== resolved) {
        throw new TemplateError(`functions disagree on ${k} (${environment[k]} vs ${resolved})`);
      }
      environment[k] = resolved;
    }
  }

  const machines = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new TemplateError(`expected one state machine, found ${machines.length}`);
  const definitionString = resolve(machines[0].Properties?.DefinitionString ?? null);
  if (typeof definitionString !== 'string') throw new TemplateError('state machine has no DefinitionString');
  const definition = JSON.parse(definitionString) as Record<string, Json>;

  const taskHandlers: Record<string, string> = {};
  const taskTimeoutSeconds: Record<string, number> = {};
  const walk = (states: Record<string, Record<string, Json>>): void => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') {
        const arn = String(state.Resource);
        const id = arn.slice(arn.lastIndexOf(':') + 1);
        const handler = handlerByLogicalId.get(id);
        if (!handler)
          throw new TemplateError(`task ${name} calls ${arn}, which is not one of the product's functions`);
        taskHandlers[name] = handler;
        const timeout = timeoutByLogicalId.get(id)!;
        taskTimeoutSeconds[name] = timeout;
        // AWS bounds a Lambda task by the function's own timeout; aws-local-stepfunctions would
        // apply the States Language's 60 s default to a task without TimeoutSeconds
        if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined)
          state.TimeoutSeconds = timeout;
      }
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { States: Record<string, Record<string, Json>> }
        | undefined;
      // every handler runs on this process's one thread, so running a Map's shards side by side
      // gains no CPU; one at a time, only one shard's working set is in memory, as in its own Lambda
      // (at 1M rows, BuildFeatures' three shards together peaked ~100 MiB higher)
      if (state.Type === 'Map') {
        state.MaxConcurrency = 1;
        delete state.MaxConcurrencyPath;
      }
      if (processor) walk(processor.States);
      for (const branch of (state.Branches ?? []) as { States: Record<string, Record<string, Json>> }[])
        walk(branch.States);
    }
  };
  walk(definition.States as Record<string, Record<string, Json>>);
  return { definition, bucketName, tables, taskHandlers, taskTimeoutSeconds, environment };
}
