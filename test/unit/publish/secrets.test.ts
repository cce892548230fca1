import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretProvider, SecretUnavailableError } from '../../../lib/publish/secrets.js';

const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());

describe('createSecretProvider', () => {
  it('reads a secret once, caches it for the TTL, then reads it again (rotation)', async () => {
    // Prepare
    sm.on(GetSecretValueCommand, { SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:meta' }).resolves({
      SecretString: 'tok-1',
    });
    let now = 0;
    const getSecret = createSecretProvider({
      client: new SecretsManagerClient({}),
      ttlMs: 1000,
      now: () => now,
    });
    // Act
    const first = await Promise.all([
      getSecret('arn:aws:secretsmanager:eu-west-1:1:secret:meta'),
      getSecret('arn:aws:secretsmanager:eu-west-1:1:secret:meta'),
    ]);
    now = 500;
    await getSecret('arn:aws:secretsmanager:eu-west-1:1:secret:meta');
    now = 1500;
    await getSecret('arn:aws:secretsmanager:eu-west-1:1:secret:meta');
    // Assess
    expect(first).toEqual(['tok-1', 'tok-1']);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('returns the token field of a JSON secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"token":"abc","note":"rotated weekly"}' });
    const getSecret = createSecretProvider({ client: new SecretsManagerClient({}) });
    expect(await getSecret('arn:x')).toBe('abc');
  });

  it('names the ARN and the fix when a read fails, never caches the failure, never echoes a value', async () => {
    sm.on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))
      .resolves({ SecretString: 's3cr3t' });
    const getSecret = createSecretProvider({ client: new SecretsManagerClient({}) });
    const err = await getSecret('arn:x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretUnavailableError);
    expect((err as Error).message).toMatch(
      /Could not read secret arn:x: AccessDeniedException.*secretsmanager:GetSecretValue/,
    );
    expect(await getSecret('arn:x')).toBe('s3cr3t');
  });
});
