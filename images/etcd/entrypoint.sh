#!/bin/sh
# Fills in the per-member defaults of a static etcd cluster from ETCD_NAME, so that one image
# serves every member and the runtime passes only what differs. etcd reads every ETCD_* variable
# itself (ETCD_HEARTBEAT_INTERVAL, ETCD_ELECTION_TIMEOUT, ... work as documented by etcd).
#   ETCD_NAME                         member name, also its DNS name on the network (default: hostname)
#   ETCD_INITIAL_CLUSTER              NAME=http://HOST:2380,... (default: this member alone)
#   ETCD_INITIAL_CLUSTER_TOKEN        (default: devstack-etcd)
#   ETCD_INITIAL_CLUSTER_STATE        new | existing (default: new)
#   ETCD_LISTEN_CLIENT_URLS           (default: http://0.0.0.0:2379)
#   ETCD_ADVERTISE_CLIENT_URLS        (default: http://$ETCD_NAME:2379)
#   ETCD_LISTEN_PEER_URLS             (default: http://0.0.0.0:2380)
#   ETCD_INITIAL_ADVERTISE_PEER_URLS  (default: http://$ETCD_NAME:2380)
#   ETCD_DATA_DIR                     (default: /var/lib/etcd/data, the volume)
set -eu

if [ "${1:-}" != etcd ]; then
	exec "$@"
fi

: "${ETCD_NAME:=$(hostname)}"
: "${ETCD_LISTEN_CLIENT_URLS:=http://0.0.0.0:2379}"
: "${ETCD_ADVERTISE_CLIENT_URLS:=http://$ETCD_NAME:2379}"
: "${ETCD_LISTEN_PEER_URLS:=http://0.0.0.0:2380}"
: "${ETCD_INITIAL_ADVERTISE_PEER_URLS:=http://$ETCD_NAME:2380}"
: "${ETCD_INITIAL_CLUSTER:=$ETCD_NAME=$ETCD_INITIAL_ADVERTISE_PEER_URLS}"
: "${ETCD_INITIAL_CLUSTER_TOKEN:=devstack-etcd}"
: "${ETCD_INITIAL_CLUSTER_STATE:=new}"
export ETCD_NAME ETCD_LISTEN_CLIENT_URLS ETCD_ADVERTISE_CLIENT_URLS ETCD_LISTEN_PEER_URLS \
	ETCD_INITIAL_ADVERTISE_PEER_URLS ETCD_INITIAL_CLUSTER ETCD_INITIAL_CLUSTER_TOKEN ETCD_INITIAL_CLUSTER_STATE

exec "$@"
