// Tokens and signing secrets the connector tests hand out by ARN; the receivers expect these values.
export const TEST_SECRETS: Readonly<Record<string, string>> = {
  'arn:meta': 'meta-token-123',
  'arn:google': 'google-oauth-456',
  'arn:google-dev': 'google-dev-789',
  'arn:tiktok': 'tiktok-token-abc',
  'arn:linkedin': 'linkedin-token-def',
  'arn:webhook': 'webhook-signing-secret',
};
