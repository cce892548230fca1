// Local platform receivers for connector tests (see server.ts for the shared recording / fault queue).
export { type GoogleReceiver, startGoogleReceiver } from './google.js';
export { type LinkedInReceiver, startLinkedInReceiver } from './linkedin.js';
export { type MetaReceiver, startMetaReceiver } from './meta.js';
export { TEST_SECRETS } from './secrets.js';
export { type Fault, Receiver, type RecordedRequest, startReceiver } from './server.js';
export { startTikTokReceiver, type TikTokReceiver } from './tiktok.js';
export { startWebhookReceiver, type WebhookReceiver } from './webhook.js';
