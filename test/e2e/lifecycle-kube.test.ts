/** The lifecycle scenarios with a real etcd + kube-apiserver + kube-controller-manager as the management cluster. */
import { lifecycleSuite } from './lifecycle.js';

lifecycleSuite('kube', '127.54.0.0/16');
