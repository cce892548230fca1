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
