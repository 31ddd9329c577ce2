import { DataAwsIamPolicyDocument } from '@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { CloudwatchEventRule } from '@cdktn/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktn/provider-aws/lib/cloudwatch-event-target/index.js';
import { S3Object } from '@cdktn/provider-aws/lib/s3-object/index.js';
import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue/index.js';
import { SqsQueuePolicy } from '@cdktn/provider-aws/lib/sqs-queue-policy/index.js';
import { eventRuleName, eventRulePrefix, terminationQueueName } from '../model/names.js';
import { ADDONS_DIR, QUEUE_ENV } from '../render/addons.js';
import { BUCKET_MODULE, BucketOutputs } from './bucket.js';
import { callModule, describe, type Generator, moduleNamed, moduleStack, output, tfName, variable } from './context.js';

export const TERMINATION_MODULE = 'termination';
const DIR = 'modules/termination';

export const TerminationOutputs = { queueArn: 'queue_arn' } as const;

/** The lifecycle hook on every group: the instance waits in Terminating:Wait until drained, at most this long. */
export const DRAIN_HOOK = { name: 'drain', heartbeatSeconds: 300 } as const;

/** What EventBridge forwards to the queue: the node termination handler's queue-mode rules. */
const EVENTS: readonly { id: string; what: string; pattern: Record<string, unknown> }[] = [
  { id: 'asg_termination', what: 'a group terminates an instance (scale-in, replacement, instance refresh)', pattern: { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance-terminate Lifecycle Action'] } },
  { id: 'spot_interruption', what: 'a spot instance gets its two-minute warning', pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] } },
  { id: 'rebalance', what: 'EC2 recommends rebalancing a spot instance', pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] } },
  { id: 'instance_state_change', what: 'an instance stops or terminates outside its group', pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] } },
  { id: 'scheduled_change', what: 'AWS schedules maintenance of an instance', pattern: { source: ['aws.health'], 'detail-type': ['AWS Health Event'], detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] } } },
];

/**
 * Draining before an instance goes, as kops wires it: termination lifecycle hooks on every group,
 * EventBridge rules into an SQS queue, and the node termination handler on the masters reading it.
 */
export const termination: Generator = {
  name: TERMINATION_MODULE,

  modules(scope) {
    const stack = moduleStack(scope, 'termination');
    const queueName = variable(stack, 'queue_name', 'string', 'Name of the SQS queue of termination events: at most 80 letters, digits, hyphens and underscores.', [
      { condition: '${can(regex("^[A-Za-z0-9_-]{1,80}$", var.queue_name))}', errorMessage: 'queue_name is at most 80 letters, digits, hyphens and underscores (an SQS limit).' },
    ]);
    const rulePrefix = variable(stack, 'rule_name_prefix', 'string', "Prefix of the EventBridge rules' names, each followed by the event's: at most 40 characters.", [
      { condition: '${can(regex("^[A-Za-z0-9_.-]{1,40}$", var.rule_name_prefix))}', errorMessage: 'rule_name_prefix is at most 40 letters, digits, dots, hyphens and underscores (with the longest event name, an EventBridge limit of 64).' },
    ]);
    const bucketName = variable(stack, 'bucket', 'string', 'The cluster bucket, where the handler\'s kustomization finds the queue URL.');
    const tags = variable(stack, 'tags', 'map(string)', 'Tags for every resource of the cluster.');
    const queue = describe(
      tfName(new SqsQueue(stack, 'queue', { name: queueName.stringValue, messageRetentionSeconds: 300, sqsManagedSseEnabled: true, tags: tags.value }), 'this'),
      'Termination events for the node termination handler: an event older than five minutes is moot.',
    );
    const rules = EVENTS.map((e) => {
      const rule = describe(
        tfName(new CloudwatchEventRule(stack, `rule_${e.id}`, { name: eventRuleName(rulePrefix.stringValue, e.id), eventPattern: JSON.stringify(e.pattern), tags: tags.value }), e.id),
        `When ${e.what}.`,
      );
      tfName(new CloudwatchEventTarget(stack, `target_${e.id}`, { rule: rule.name, arn: queue.arn }), e.id);
      return rule;
    });
    // Only the cluster's own rules may send: EventBridge gives each message its rule's ARN (the
    // confused-deputy guard; sqs.amazonaws.com, which kops also names, sends nothing here).
    const send = new DataAwsIamPolicyDocument(stack, 'events_send', {
      statement: [
        {
          sid: 'EventBridgeSends',
          actions: ['sqs:SendMessage'],
          principals: [{ type: 'Service', identifiers: ['events.amazonaws.com'] }],
          resources: [queue.arn],
          condition: [{ test: 'ArnEquals', variable: 'aws:SourceArn', values: rules.map((r) => r.arn) }],
        },
      ],
    });
    tfName(new SqsQueuePolicy(stack, 'policy', { queueUrl: queue.url, policy: send.json }), 'this');
    describe(
      tfName(
        new S3Object(stack, 'queue_env', {
          bucket: bucketName.stringValue,
          key: `${ADDONS_DIR}/${QUEUE_ENV}`,
          content: `QUEUE_URL=${queue.url}`,
        }),
        'queue_env',
      ),
      'The queue URL for the handler\'s kustomization, known only after apply.',
    );
    output(stack, TerminationOutputs.queueArn, queue.arn, 'ARN of the termination event queue.');
    return [{ dir: DIR, stack, summary: 'Drain before termination: the SQS queue and EventBridge rules the node termination handler reads.' }];
  },

  wire(ctx) {
    callModule(ctx, TERMINATION_MODULE, DIR, {
      queue_name: terminationQueueName(ctx.plan.name),
      rule_name_prefix: eventRulePrefix(ctx.plan.name),
      bucket: moduleNamed(ctx, BUCKET_MODULE).get(BucketOutputs.id),
      tags: ctx.shared.tags,
    });
  },
};
