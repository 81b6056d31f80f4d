/** The in-cluster way to run, against the embedded API server enforcing RBAC. */
import { inClusterSuite } from './in-cluster.js';

inClusterSuite('embedded', '127.53.0.0/16');
