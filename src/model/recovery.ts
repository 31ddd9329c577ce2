/**
 * The recovery picture of a cluster, for explain: what the boot scripts and the drill say, in one
 * place. Each figure is tied to where it comes from; test/model/recovery.test.ts holds the first to
 * the template, so that they cannot drift apart.
 */

/** master.sh's haform-etcd-backup.timer: OnCalendar=hourly, RandomizedDelaySec=5min. */
export const BACKUP_EVERY_MINUTES = 60;
export const BACKUP_DELAY_MINUTES = 5;

/**
 * A replaced master (a new instance, its volumes kept), from the new host's start to its Node Ready
 * and etcd healthy: the real-Kubernetes drill on 2 cores (test/k8s, "replacement", with the member
 * interface attached by the boot script), 2026-12-03 (55 s). The instance's launch and cloud-init
 * come on top in AWS.
 */
export const MEASURED_MASTER_RECOVERY_SECONDS = 55;

/** kubeadm's certificates (not its CA, ten years): one year from init, renewed by each kubeadm upgrade. */
export const CERTIFICATE_DAYS = 365;

export function recoveryLines(backupRetentionDays: number): string[] {
  return [
    'Recovery:',
    `  A terminated master comes back in its zone with its volumes: its Node Ready and etcd healthy ${MEASURED_MASTER_RECOVERY_SECONDS} s after the new instance starts (haform's Kubernetes drill), plus the instance's launch.`,
    `  Backups: an etcd snapshot every ${BACKUP_EVERY_MINUTES} minutes (up to ${BACKUP_DELAY_MINUTES} late) from the leader to the cluster's bucket, kept ${backupRetentionDays} days: a restore loses at most about ${BACKUP_EVERY_MINUTES + BACKUP_DELAY_MINUTES} minutes of writes (RPO).`,
    `  Certificates: kubeadm's last ${CERTIFICATE_DAYS} days from the cluster's init, and each upgrade (master.sh upgrade) renews them; in a year without one, renew them before they expire (kubeadm certs check-expiration).`,
  ];
}
