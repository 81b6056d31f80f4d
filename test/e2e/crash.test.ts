/** Scenario 6 (random SIGKILLs of the daemon) on the embedded management API server. */
import { crashSuite } from './crash.js';

crashSuite('embedded', '127.52.0.0/16');
