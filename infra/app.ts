// CDK entry point: `npx cdk synth` / `npx cdk deploy`.
import { buildApp } from './build-app.js';

buildApp().app.synth();
