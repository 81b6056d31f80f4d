/** The lifecycle scenarios on the embedded management API server (what `make run` starts). */
import { lifecycleSuite } from './lifecycle.js';

lifecycleSuite('embedded', '127.51.0.0/16');
