/** Scenario 6 (random SIGKILLs of the daemon) with a real kube-apiserver as the management cluster. */
import { crashSuite } from './crash.js';

crashSuite('kube', '127.55.0.0/16');
