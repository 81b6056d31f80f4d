/** kubeadm's well-known names, paths and defaults (cmd/kubeadm/app/constants), as clusterd reproduces them. */

export const KUBERNETES_DIR = '/etc/kubernetes';
export const MANIFESTS_DIR = '/etc/kubernetes/manifests';
export const DEFAULT_CERTS_DIR = '/etc/kubernetes/pki';
export const KUBELET_DIR = '/var/lib/kubelet';
export const KUBELET_CONFIG_FILE = '/var/lib/kubelet/config.yaml';
export const KUBELET_FLAGS_ENV = '/var/lib/kubelet/kubeadm-flags.env';
/** NodeLocalCRISocket (GA in 1.36): the node's containerRuntimeEndpoint, laid over config.yaml. */
export const KUBELET_INSTANCE_CONFIG_FILE = '/var/lib/kubelet/instance-config.yaml';
export const KUBELET_CLIENT_CURRENT = '/var/lib/kubelet/pki/kubelet-client-current.pem';
export const DEFAULT_ETCD_DATA_DIR = '/var/lib/etcd';

export const ADMIN_CONF = 'admin.conf';
/** Since kubeadm 1.29: the break-glass system:masters credential, written by init only. */
export const SUPER_ADMIN_CONF = 'super-admin.conf';
export const KUBELET_CONF = 'kubelet.conf';
export const BOOTSTRAP_KUBELET_CONF = 'bootstrap-kubelet.conf';
export const CONTROLLER_MANAGER_CONF = 'controller-manager.conf';
export const SCHEDULER_CONF = 'scheduler.conf';

/** What ClusterConfiguration.kubernetesVersion defaults to (lib/version.ts holds the supported minors). */
export { DEFAULT_KUBERNETES_VERSION } from '../lib/version.js';
export const DEFAULT_IMAGE_REPOSITORY = 'registry.k8s.io';
export const DEFAULT_SERVICE_SUBNET = '10.96.0.0/12';
export const DEFAULT_DNS_DOMAIN = 'cluster.local';
export const DEFAULT_CLUSTER_NAME = 'kubernetes';
export const DEFAULT_BIND_PORT = 6443;
export const DEFAULT_CRI_SOCKET = 'unix:///var/run/containerd/containerd.sock';
// The etcd, CoreDNS and pause versions depend on the target release: componentVersions() in flags.ts.

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const ETCD_METRICS_PORT = 2381;
export const KUBE_CONTROLLER_MANAGER_PORT = 10257;
export const KUBE_SCHEDULER_PORT = 10259;
export const KUBELET_PORT = 10250;

export const NODE_BOOTSTRAP_TOKEN_AUTH_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
export const NODES_GROUP = 'system:nodes';
export const MASTERS_GROUP = 'system:masters';
/** admin.conf's group (kubeadm 1.29+), bound to cluster-admin by the ClusterRoleBinding of the same name. */
export const CLUSTER_ADMINS_GROUP = 'kubeadm:cluster-admins';
export const CLUSTER_ADMINS_CRB = 'kubeadm:cluster-admins';
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600;
/** The proxy token that owns kubeadm-certs: the Secret goes when the token does. */
export const DEFAULT_CERT_TOKEN_TTL_SECONDS = 2 * 3600;
export const CERTIFICATE_KEY_SIZE = 32;

export const KUBEADM_CONFIG_CONFIGMAP = 'kubeadm-config';
export const KUBELET_CONFIG_CONFIGMAP = 'kubelet-config';
export const KUBEADM_CERTS_SECRET = 'kubeadm-certs';
export const KUBEADM_CERTS_ROLE = 'kubeadm:kubeadm-certs';
export const CLUSTER_INFO_CONFIGMAP = 'cluster-info';
export const CLUSTER_INFO_ROLE = 'kubeadm:bootstrap-signer-clusterinfo';
export const JWS_KEY_PREFIX = 'jws-kubeconfig-';
export const NODE_KUBELET_BOOTSTRAP_CRB = 'kubeadm:kubelet-bootstrap';
export const NODE_AUTOAPPROVE_BOOTSTRAP_CRB = 'kubeadm:node-autoapprove-bootstrap';
export const NODE_AUTOAPPROVE_ROTATION_CRB = 'kubeadm:node-autoapprove-certificate-rotation';
export const NODE_BOOTSTRAPPER_CLUSTERROLE = 'system:node-bootstrapper';
export const CSR_NODECLIENT_CLUSTERROLE = 'system:certificates.k8s.io:certificatesigningrequests:nodeclient';
export const CSR_SELFNODECLIENT_CLUSTERROLE = 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient';
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';

export const LABEL_CONTROL_PLANE = 'node-role.kubernetes.io/control-plane';
export const LABEL_EXCLUDE_LB = 'node.kubernetes.io/exclude-from-external-load-balancers';
export const ANNOTATION_APISERVER_ENDPOINT = 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint';
export const ANNOTATION_ETCD_CLIENT_URLS = 'kubeadm.kubernetes.io/etcd.advertise-client-urls';
