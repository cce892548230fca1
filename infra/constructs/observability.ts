// Alarms and a dashboard for ops: failed, timed-out and throttled runs, Lambda errors and the
// trigger's dead-letter queue all notify one KMS-encrypted SNS topic; the dashboard shows runs,
// durations, rows and segments published (the last two are business metrics the handlers emit).
import { Duration, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  SingleValueWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type SegmentationFunction } from './segmentation-function.js';

/** Business metrics the handlers publish (Powertools Metrics, dimension service=audience-segmentation). */
export const BUSINESS_METRICS = {
  rowsRead: 'RowsRead',
  rowsAccepted: 'RowsAccepted',
  rowsRejected: 'RowsRejected',
  segmentsPublished: 'SegmentsPublished',
  membershipsPublished: 'MembershipsPublished',
  audienceMembersPushed: 'AudienceMembersPushed',
} as const;

export interface SegmentationObservabilityProps {
  readonly stateMachine: StateMachine;
  readonly functions: readonly SegmentationFunction[];
  readonly deadLetterQueues: readonly IQueue[];
  /** encrypts the alarm topic */
  readonly key: IKey;
  /** address subscribed to the alarm topic; none: subscribe later (console, Chatbot, PagerDuty) */
  readonly alarmEmail?: string;
  /** @default - CloudFormation generates a name */
  readonly dashboardName?: string;
}

export class SegmentationObservability extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: SegmentationObservabilityProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Audience segmentation alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    if (props.alarmEmail) {
      const subscription = this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An email that cannot be delivered cannot be redriven to a mailbox later; the alarm that caused it stays ' +
          'in ALARM state in CloudWatch and on the dashboard. Add a chat or pager subscription for redundancy.',
      });
    }

    const sm = props.stateMachine;
    this.alarm(
      'RunsFailed',
      sm.metricFailed({ period: Duration.minutes(5) }),
      'A segmentation run failed (input quarantined under rejected/)',
    );
    this.alarm(
      'RunsTimedOut',
      sm.metricTimedOut({ period: Duration.minutes(5) }),
      'A segmentation run exceeded the state machine timeout',
    );
    this.alarm(
      'RunsThrottled',
      sm.metricThrottled({ period: Duration.minutes(5) }),
      'Step Functions throttled run executions',
    );
    for (const f of props.functions) {
      this.alarm(
        `${pascal(f.handlerName)}Errors`,
        f.metricErrors({ period: Duration.minutes(5) }),
        `The ${f.handlerName} function returned errors`,
      );
    }
    props.deadLetterQueues.forEach((q, i) => {
      this.alarm(
        `DeadLetters${i === 0 ? '' : i + 1}`,
        q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        'Events could not be delivered and wait in a dead-letter queue: redrive them after fixing the cause',
      );
    });

    const business = (name: string, label: string): Metric =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { service: 'audience-segmentation' },
        statistic: 'Sum',
        period: Duration.hours(1),
        label,
      });
    const hourly = { period: Duration.hours(1) };
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Runs',
        width: 12,
        left: [
          sm.metricStarted({ ...hourly, label: 'started' }),
          sm.metricSucceeded({ ...hourly, label: 'succeeded' }),
          sm.metricFailed({ ...hourly, label: 'failed' }),
          sm.metricTimedOut({ ...hourly, label: 'timed out' }),
          sm.metricThrottled({ ...hourly, label: 'throttled' }),
        ],
      }),
      new GraphWidget({
        title: 'Run duration (ms)',
        width: 12,
        left: [
          sm.metricTime({ ...hourly, statistic: 'p50', label: 'p50' }),
          sm.metricTime({ ...hourly, statistic: 'p90', label: 'p90' }),
          sm.metricTime({ ...hourly, statistic: 'Maximum', label: 'max' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Rows',
        width: 12,
        left: [
          business(BUSINESS_METRICS.rowsRead, 'read'),
          business(BUSINESS_METRICS.rowsAccepted, 'accepted'),
          business(BUSINESS_METRICS.rowsRejected, 'rejected'),
        ],
      }),
      new GraphWidget({
        title: 'Segments published',
        width: 12,
        left: [business(BUSINESS_METRICS.segmentsPublished, 'segments')],
        right: [
          business(BUSINESS_METRICS.membershipsPublished, 'memberships'),
          business(BUSINESS_METRICS.audienceMembersPushed, 'audience members pushed'),
        ],
      }),
    );
    const perFunction = (m: (f: SegmentationFunction) => IMetric): IMetric[] => props.functions.map(m);
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Function errors',
        width: 12,
        left: perFunction((f) => f.metricErrors({ ...hourly, label: f.handlerName })),
      }),
      new GraphWidget({
        title: 'Function duration p90 (ms)',
        width: 12,
        left: perFunction((f) => f.metricDuration({ ...hourly, statistic: 'p90', label: f.handlerName })),
      }),
    );
    this.dashboard.addWidgets(
      new SingleValueWidget({
        title: 'Dead letters waiting',
        width: 24,
        metrics: props.deadLetterQueues.map((q) =>
          q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
        ),
      }),
    );
  }

  private alarm(id: string, metric: IMetric, description: string): void {
    const alarm = new Alarm(this, id, {
      metric,
      alarmDescription: description,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
}
