import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alarmsLine } from '../../src/model/alarms.js';
import { BACKUP_DELAY_MINUTES, BACKUP_EVERY_MINUTES, recoveryLines } from '../../src/model/recovery.js';

describe("explain's recovery picture", () => {
  it("says the backup interval master.sh's timer runs (an hour, five minutes of random delay)", () => {
    const template = readFileSync('templates/userdata/master.sh.hbs', 'utf8');
    const timer = /haform-etcd-backup\.timer" <<UNIT\n([\s\S]*?)\nUNIT/.exec(template)![1]!;
    expect(timer).toContain('OnCalendar=hourly');
    expect(BACKUP_EVERY_MINUTES).toBe(60);
    expect(timer).toContain(`RandomizedDelaySec=${BACKUP_DELAY_MINUTES}min`);
  });

  it('gives the RPO, the retention and the measured recovery of a replaced master', () => {
    const text = recoveryLines(30).join('\n');
    expect(text).toContain('kept 30 days: a restore loses at most about 65 minutes of writes (RPO)');
    expect(text).toMatch(/Node Ready and etcd healthy \d+ s after the new instance starts/);
    expect(text).toContain('kubeadm certs check-expiration');
  });

  it('names the alarms and where they go, or says that nothing watches when they are off', () => {
    expect(alarmsLine({ topicArn: undefined })).toContain("the cluster's own SNS topic (output alarm_topic_arn");
    expect(alarmsLine({ topicArn: 'arn:aws:sns:us-east-1:123456789012:ops' })).toContain('notifies arn:aws:sns:us-east-1:123456789012:ops when the newest etcd snapshot is older than 7200 s');
    expect(alarmsLine(undefined)).toMatch(/^  Alarms: off .*nothing tells you when the backups stop/);
  });
});
