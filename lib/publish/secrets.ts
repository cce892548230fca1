// Platform tokens and signing secrets, read from AWS Secrets Manager by ARN (named in destination
// config), cached in memory for the life of the Lambda container. Never from env vars; never logged.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export class SecretUnavailableError extends Error {
  readonly secretArn: string;
  constructor(secretArn: string, reason: string) {
    super(
      `Could not read secret ${secretArn}: ${reason}. Check the ARN in the destination config and that the ` +
        'publish function may call secretsmanager:GetSecretValue on it.',
    );
    this.name = 'SecretUnavailableError';
    this.secretArn = secretArn;
  }
}

// Built once per container (Powertools habit), lazily so importing this module costs nothing.
let moduleClient: SecretsManagerClient | undefined;
function defaultClient(): SecretsManagerClient {
  moduleClient ??= new SecretsManagerClient({});
  return moduleClient;
}

export interface SecretProviderOptions {
  client?: Pick<SecretsManagerClient, 'send'>;
  /** How long a value is reused before being read again (rotation). Default 5 minutes. */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Returns getSecret(arn). Concurrent calls for one ARN share one GetSecretValue; values are cached for
 * ttlMs. A secret stored as JSON {"token": "..."} yields its token field; otherwise the whole string.
 */
export function createSecretProvider(options: SecretProviderOptions = {}): (arn: string) => Promise<string> {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { value: Promise<string>; expiresAt: number }>();
  return (arn: string) => {
    const hit = cache.get(arn);
    if (hit && hit.expiresAt > now()) return hit.value;
    const value = fetchSecret(options.client ?? defaultClient(), arn);
    cache.set(arn, { value, expiresAt: now() + ttlMs });
    // A failed read must not be cached: the next push should try again.
    value.catch(() => {
      if (cache.get(arn)?.value === value) cache.delete(arn);
    });
    return value;
  };
}

async function fetchSecret(client: Pick<SecretsManagerClient, 'send'>, arn: string): Promise<string> {
  let out: { SecretString?: string };
  try {
    out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  } catch (err) {
    throw new SecretUnavailableError(arn, err instanceof Error ? err.name : 'unknown error');
  }
  const raw = out.SecretString;
  if (!raw) throw new SecretUnavailableError(arn, 'the secret has no string value');
  if (raw.trimStart().startsWith('{')) {
    try {
      const parsed = JSON.parse(raw) as Record<string, unknown>;
      if (typeof parsed.token === 'string' && parsed.token !== '') return parsed.token;
    } catch {
      // Not JSON after all: the raw string is the secret.
    }
  }
  return raw;
}

/** Module-scope provider with a shared cache: what handlers pass as `deps.getSecret`. */
export const getSecret: (arn: string) => Promise<string> = createSecretProvider();

/**
 * For the local runner and tests, which have no Secrets Manager: an ARN written `local:NAME` is read
 * from the JSON file named by LOCAL_SECRETS_FILE ({"NAME": "value"}). Refused inside Lambda, so a
 * deployed stack can never be pointed at a file or an env var; real ARNs always go to Secrets Manager.
 */
export function createRunSecretProvider(
  remote: (arn: string) => Promise<string> = getSecret,
  env: NodeJS.ProcessEnv = process.env,
): (arn: string) => Promise<string> {
  return async (arn: string) => {
    if (!arn.startsWith('local:')) return remote(arn);
    if (env.AWS_LAMBDA_FUNCTION_NAME)
      throw new SecretUnavailableError(
        arn,
        'local: secrets are for local runs only; use a Secrets Manager ARN',
      );
    const file = env.LOCAL_SECRETS_FILE;
    if (!file) throw new SecretUnavailableError(arn, 'LOCAL_SECRETS_FILE is not set');
    const { readFile } = await import('node:fs/promises');
    let values: Record<string, unknown>;
    try {
      values = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    } catch {
      throw new SecretUnavailableError(arn, 'the local secrets file could not be read as JSON');
    }
    const value = values[arn.slice('local:'.length)];
    if (typeof value !== 'string' || value === '')
      throw new SecretUnavailableError(arn, 'no such entry in the local secrets file');
    return value;
  };
}
