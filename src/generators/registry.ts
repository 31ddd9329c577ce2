import { alarms } from './alarms.js';
import { api } from './api.js';
import { bastion } from './bastion.js';
import { bucket } from './bucket.js';
import type { Generator } from './context.js';
import { controlPlane } from './control-plane.js';
import { dns } from './dns.js';
import { flowLogs } from './flow-logs.js';
import { iam } from './iam.js';
import { kms } from './kms.js';
import { internalApi } from './internal-api.js';
import { network } from './network.js';
import { nodes } from './nodes.js';
import { security } from './security.js';
import { termination } from './termination.js';

/** Every concern, in wiring order: a concern comes after the modules whose outputs it reads. */
export const GENERATORS: readonly Generator[] = [kms, flowLogs, network, security, api, dns, bucket, termination, iam, controlPlane, internalApi, nodes, bastion, alarms];
