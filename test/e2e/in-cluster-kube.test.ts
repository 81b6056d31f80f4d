/** The in-cluster way to run, against a real kube-apiserver with deploy/ applied by kubectl. */
import { inClusterSuite } from './in-cluster.js';

inClusterSuite('kube', '127.56.0.0/16');
