/**
 * EC2 instance types haform knows, for validate: the families Kubernetes clusters commonly run,
 * each with its sizes, vCPUs and memory (the AWS instance type pages, "Instance specifications",
 * read on INSTANCE_TYPES_AS_OF). A type outside a family's sizes in a well-formed size may be newer
 * than this table: a warning. A size that is no size at all ("mediun") is an error with the nearest.
 */
import { closest } from './schema-check.js';

export const INSTANCE_TYPES_AS_OF = '2026-12-03';

export interface InstanceType {
  readonly vcpu: number;
  readonly memoryGiB: number;
  readonly arch: 'x86_64' | 'arm64';
}

/** Burstable families: their small sizes break the per-vCPU pattern. */
const BURSTABLE: Record<string, [number, number][]> = {
  // size order: nano, micro, small, medium, large, xlarge, 2xlarge
  t2: [[1, 0.5], [1, 1], [1, 2], [2, 4], [2, 8], [4, 16], [8, 32]],
  t3: [[2, 0.5], [2, 1], [2, 2], [2, 4], [2, 8], [4, 16], [8, 32]],
  t3a: [[2, 0.5], [2, 1], [2, 2], [2, 4], [2, 8], [4, 16], [8, 32]],
  t4g: [[2, 0.5], [2, 1], [2, 2], [2, 4], [2, 8], [4, 16], [8, 32]],
};
const BURSTABLE_SIZES = ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'];

/** Families of a fixed memory per vCPU: GiB per vCPU, and the sizes each offers (metal aside). */
const REGULAR: Record<string, { perVcpu: number; sizes: string; arch?: 'arm64' }> = {
  m5: { perVcpu: 4, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge' },
  m5a: { perVcpu: 4, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge' },
  m6i: { perVcpu: 4, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge' },
  m6a: { perVcpu: 4, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge 48xlarge' },
  m6g: { perVcpu: 4, sizes: 'medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge', arch: 'arm64' },
  m7i: { perVcpu: 4, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge' },
  m7a: { perVcpu: 4, sizes: 'medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge 48xlarge' },
  m7g: { perVcpu: 4, sizes: 'medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge', arch: 'arm64' },
  m8g: { perVcpu: 4, sizes: 'medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge', arch: 'arm64' },
  c5: { perVcpu: 2, sizes: 'large xlarge 2xlarge 4xlarge 9xlarge 12xlarge 18xlarge 24xlarge' },
  c5a: { perVcpu: 2, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge' },
  c6i: { perVcpu: 2, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge' },
  c6a: { perVcpu: 2, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge 48xlarge' },
  c6g: { perVcpu: 2, sizes: 'medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge', arch: 'arm64' },
  c7i: { perVcpu: 2, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge' },
  c7a: { perVcpu: 2, sizes: 'medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge 48xlarge' },
  c7g: { perVcpu: 2, sizes: 'medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge', arch: 'arm64' },
  r5: { perVcpu: 8, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge' },
  r5a: { perVcpu: 8, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge' },
  r6i: { perVcpu: 8, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge' },
  r6a: { perVcpu: 8, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge 48xlarge' },
  r6g: { perVcpu: 8, sizes: 'medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge', arch: 'arm64' },
  r7i: { perVcpu: 8, sizes: 'large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge' },
  r7g: { perVcpu: 8, sizes: 'medium large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge', arch: 'arm64' },
};

/** vCPUs of a size in the regular families: medium 1, large 2, xlarge 4, Nxlarge 4N. */
function vcpuOf(size: string): number {
  if (size === 'medium') return 1;
  if (size === 'large') return 2;
  if (size === 'xlarge') return 4;
  return 4 * Number(size.replace('xlarge', ''));
}

const TABLE: ReadonlyMap<string, InstanceType> = new Map([
  ...Object.entries(BURSTABLE).flatMap(([family, specs]) =>
    specs.map(([vcpu, memoryGiB], i) => [`${family}.${BURSTABLE_SIZES[i]}`, { vcpu, memoryGiB, arch: family === 't4g' ? 'arm64' : 'x86_64' }] as const),
  ),
  ...Object.entries(REGULAR).flatMap(([family, f]) =>
    f.sizes.split(' ').map((size) => [`${family}.${size}`, { vcpu: vcpuOf(size), memoryGiB: vcpuOf(size) * f.perVcpu, arch: f.arch ?? 'x86_64' }] as const),
  ),
]);

/** What EC2 calls a size: nano to 2xlarge, Nxlarge, metal, metal-48xl. */
const SIZE = /^(nano|micro|small|medium|large|xlarge|\d+xlarge|metal|metal-\d+xl)$/;

export type Lookup =
  | { kind: 'known'; type: InstanceType }
  /** Not in the table in a well-formed name: newer than the table, or a family it leaves out. */
  | { kind: 'unlisted'; familyKnown: boolean }
  /** A known family with a size that is no size. */
  | { kind: 'malformed'; nearest?: string; sizes: string[] };

export function lookupInstanceType(name: string): Lookup {
  const known = TABLE.get(name);
  if (known) return { kind: 'known', type: known };
  const dot = name.indexOf('.');
  const [family, size] = [name.slice(0, dot), name.slice(dot + 1)];
  const sizes = [...TABLE.keys()].filter((k) => k.startsWith(`${family}.`)).map((k) => k.slice(family.length + 1));
  if (sizes.length && !SIZE.test(size)) {
    const nearest = closest(size, sizes);
    return { kind: 'malformed', nearest: nearest && `${family}.${nearest}`, sizes };
  }
  return { kind: 'unlisted', familyKnown: sizes.length > 0 };
}

/**
 * kubeadm's preflight on a control-plane node (init and join --control-plane): at least 2 CPUs
 * (NumCPU, ControlPlaneNumCPU) and 1700 MB of memory (Mem, ControlPlaneMem), in
 * cmd/kubeadm/app/preflight/checks.go and constants.go. In instance terms: 2 vCPUs and 2 GiB.
 */
export const CONTROL_PLANE_MIN = { vcpu: 2, memoryGiB: 2 };
