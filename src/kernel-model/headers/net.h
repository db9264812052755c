/*
 * net.h - networking core of the btfsnoop synthetic kernel.
 *
 * Modelled on include/linux/skbuff.h, include/net/dropreason-core.h,
 * include/net/sock.h, include/net/inet_sock.h, include/net/inet_connection_sock.h,
 * include/linux/tcp.h, include/linux/udp.h, include/linux/netdevice.h,
 * include/net/net_namespace.h, include/linux/socket.h, include/linux/net.h,
 * net/netlink/af_netlink.h and include/net/ip6_fib.h of Linux 6.x (x86_64,
 * CONFIG_NF_CONNTRACK=y, CONFIG_IPV6=y), trimmed to the important members
 * while keeping the real member order and the real anonymous union/struct
 * nesting.  struct_group(headers, ...) in sk_buff is expanded the way the
 * macro expands it (an anonymous union of an anonymous struct and a named
 * struct "headers" with identical members).
 *
 * Requires: types.h.  Types owned by other headers (struct file, struct inode,
 * struct kiocb, struct page, ...) are only forward-declared here.
 */
#ifndef _BTFSNOOP_KMODEL_NET_H
#define _BTFSNOOP_KMODEL_NET_H

#define IFNAMSIZ 16
#define MAX_ADDR_LEN 32
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_NETLINK 16
#define AF_INET6 10
#define MSG_DONTWAIT 64
#define MSG_NOSIGNAL 16384

struct file;
struct inode;
struct kiocb;
struct module;
struct proto;
struct dst_entry;
struct sk_filter;
struct xfrm_policy;
struct pid;
struct cred;
struct mem_cgroup;
struct ubuf_info;
struct skb_ext;
struct net_device_ops;
struct ethtool_ops;
struct header_ops;
struct netdev_rx_queue;
struct netdev_queue;
struct packet_type;
struct user_namespace;
struct proc_ns_operations;
struct proc_dir_entry;
struct ipv6_pinfo;
struct ip_options_rcu;
struct ip_mc_socklist;
struct tcp_congestion_ops;
struct inet_connection_sock_af_ops;
struct inet_bind_bucket;
struct fasync_struct;
struct fib6_table;
struct fib6_node;
struct dst_metrics;
struct nexthop;
struct rt6_info;
struct rt6_exception_bucket;
struct lwtunnel_state;
struct sockaddr;
struct poll_table_struct;
struct vm_area_struct;
struct inet_timewait_death_row;
struct ip_options;
struct netdev_name_node;
struct dev_ifalias;
struct ucounts;
struct proto_ops;

typedef __u64 netdev_features_t;
typedef __u32 __portpair;
typedef __u64 __addrpair;
typedef unsigned int sk_buff_data_t;

/* include/uapi/linux/in6.h */
struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be16 u6_addr16[8];
		__be32 u6_addr32[4];
	} in6_u;
};

/* include/net/net_namespace.h */
typedef struct {
	struct net *net;
} possible_net_t;

/* include/net/dropreason-core.h (6.1/6.2 numbering, first 30 reasons) */
enum skb_drop_reason {
	SKB_NOT_DROPPED_YET = 0,
	SKB_DROP_REASON_NOT_SPECIFIED,
	SKB_DROP_REASON_NO_SOCKET,
	SKB_DROP_REASON_PKT_TOO_SMALL,
	SKB_DROP_REASON_TCP_CSUM,
	SKB_DROP_REASON_SOCKET_FILTER,
	SKB_DROP_REASON_UDP_CSUM,
	SKB_DROP_REASON_NETFILTER_DROP,
	SKB_DROP_REASON_OTHERHOST,
	SKB_DROP_REASON_IP_CSUM,
	SKB_DROP_REASON_IP_INHDR,
	SKB_DROP_REASON_IP_RPFILTER,
	SKB_DROP_REASON_UNICAST_IN_L2_MULTICAST,
	SKB_DROP_REASON_XFRM_POLICY,
	SKB_DROP_REASON_IP_NOPROTO,
	SKB_DROP_REASON_SOCKET_RCVBUFF,
	SKB_DROP_REASON_PROTO_MEM,
	SKB_DROP_REASON_TCP_MD5NOTFOUND,
	SKB_DROP_REASON_TCP_MD5UNEXPECTED,
	SKB_DROP_REASON_TCP_MD5FAILURE,
	SKB_DROP_REASON_SOCKET_BACKLOG,
	SKB_DROP_REASON_TCP_FLAGS,
	SKB_DROP_REASON_TCP_ZEROWINDOW,
	SKB_DROP_REASON_TCP_OLD_DATA,
	SKB_DROP_REASON_TCP_OVERWINDOW,
	SKB_DROP_REASON_TCP_OFOMERGE,
	SKB_DROP_REASON_TCP_RFC7323_PAWS,
	SKB_DROP_REASON_TCP_INVALID_SEQUENCE,
	SKB_DROP_REASON_TCP_RESET,
	SKB_DROP_REASON_TCP_INVALID_SYN,
	SKB_DROP_REASON_TCP_CLOSE,
	SKB_DROP_REASON_MAX,
	SKB_DROP_REASON_SUBSYS_MASK = 0xffff0000,
};

/*
 * The skb:kfree_skb record (its format file in tracepoint-defs/net.ts), as
 * Linux 6.12 has it: rx_sk, the receiving socket, after location.
 */
struct trace_event_raw_kfree_skb {
	struct trace_entry ent;
	void *skbaddr;
	void *location;
	void *rx_sk;
	unsigned short protocol;
	enum skb_drop_reason reason;
	char __data[0];
};

/* Its raw tracepoint's prototype (the other btf_trace_<event> typedefs are in trace.h). */
struct sk_buff;
struct sock;
typedef void (*btf_trace_kfree_skb)(void *__data, struct sk_buff *skb, void *location, enum skb_drop_reason reason, struct sock *rx_sk);


/* include/linux/skbuff.h */
enum {
	SKB_FCLONE_UNAVAILABLE,
	SKB_FCLONE_ORIG,
	SKB_FCLONE_CLONE,
};

enum skb_tstamp_type {
	SKB_CLOCK_REALTIME,
	SKB_CLOCK_MONOTONIC,
	SKB_CLOCK_TAI,
	__SKB_CLOCK_MAX = SKB_CLOCK_TAI,
};

struct sk_buff_head {
	struct sk_buff *next;
	struct sk_buff *prev;
	__u32 qlen;
	spinlock_t lock;
};

struct sk_buff {
	union {
		struct {
			/* These two members must be first to match sk_buff_head. */
			struct sk_buff *next;
			struct sk_buff *prev;

			union {
				struct net_device *dev;
				unsigned long dev_scratch;
			};
		};
		struct rb_node rbnode;
		struct list_head list;
		struct llist_node ll_node;
	};

	union {
		struct sock *sk;
		int ip_defrag_offset;
	};

	union {
		ktime_t tstamp;
		u64 skb_mstamp_ns;
	};

	char cb[48] __attribute__((aligned(8)));

	union {
		struct {
			unsigned long _skb_refdst;
			void (*destructor)(struct sk_buff *skb);
		};
		struct list_head tcp_tsorted_anchor;
		unsigned long _sk_redir;
	};

	unsigned long _nfct;
	unsigned int len,
		     data_len;
	__u16 mac_len,
	      hdr_len;

	__u16 queue_mapping;

	/* private: */
	__u8 __cloned_offset[0];
	/* public: */
	__u8 cloned:1,
	     nohdr:1,
	     fclone:2,
	     peeked:1,
	     head_frag:1,
	     pfmemalloc:1,
	     pp_recycle:1;
	__u8 active_extensions;

	/* struct_group(headers, ...) */
	union {
		struct {
			/* private: */
			__u8 __pkt_type_offset[0];
			/* public: */
			__u8 pkt_type:3;
			__u8 ignore_df:1;
			__u8 dst_pending_confirm:1;
			__u8 ip_summed:2;
			__u8 ooo_okay:1;

			/* private: */
			__u8 __mono_tc_offset[0];
			/* public: */
			__u8 mono_delivery_time:1;
			__u8 tc_at_ingress:1;
			__u8 tc_skip_classify:1;
			__u8 remcsum_offload:1;
			__u8 csum_complete_sw:1;
			__u8 csum_level:2;
			__u8 inner_protocol_type:1;

			__u8 l4_hash:1;
			__u8 sw_hash:1;
			__u8 wifi_acked_valid:1;
			__u8 wifi_acked:1;
			__u8 no_fcs:1;
			__u8 encapsulation:1;
			__u8 encap_hdr_csum:1;
			__u8 csum_valid:1;

			__u8 ndisc_nodetype:2;
			__u8 ipvs_property:1;
			__u8 nf_trace:1;
			__u8 offload_fwd_mark:1;
			__u8 offload_l3_fwd_mark:1;
			__u8 redirected:1;
			__u8 from_ingress:1;
			__u8 nf_skip_egress:1;
			__u8 decrypted:1;
			__u8 slow_gro:1;
			__u8 csum_not_inet:1;
			__u8 scm_io_uring:1;

			__u16 tc_index;
			u16 alloc_cpu;

			union {
				__wsum csum;
				struct {
					__u16 csum_start;
					__u16 csum_offset;
				};
			};
			__u32 priority;
			int skb_iif;
			__u32 hash;
			union {
				u32 vlan_all;
				struct {
					__be16 vlan_proto;
					__u16 vlan_tci;
				};
			};
			union {
				unsigned int napi_id;
				unsigned int sender_cpu;
			};
			__u32 secmark;
			union {
				__u32 mark;
				__u32 reserved_tailroom;
			};
			union {
				__be16 inner_protocol;
				__u8 inner_ipproto;
			};
			__u16 inner_transport_header;
			__u16 inner_network_header;
			__u16 inner_mac_header;
			__be16 protocol;
			__u16 transport_header;
			__u16 network_header;
			__u16 mac_header;
		};
		struct {
			/* private: */
			__u8 __pkt_type_offset[0];
			/* public: */
			__u8 pkt_type:3;
			__u8 ignore_df:1;
			__u8 dst_pending_confirm:1;
			__u8 ip_summed:2;
			__u8 ooo_okay:1;

			/* private: */
			__u8 __mono_tc_offset[0];
			/* public: */
			__u8 mono_delivery_time:1;
			__u8 tc_at_ingress:1;
			__u8 tc_skip_classify:1;
			__u8 remcsum_offload:1;
			__u8 csum_complete_sw:1;
			__u8 csum_level:2;
			__u8 inner_protocol_type:1;

			__u8 l4_hash:1;
			__u8 sw_hash:1;
			__u8 wifi_acked_valid:1;
			__u8 wifi_acked:1;
			__u8 no_fcs:1;
			__u8 encapsulation:1;
			__u8 encap_hdr_csum:1;
			__u8 csum_valid:1;

			__u8 ndisc_nodetype:2;
			__u8 ipvs_property:1;
			__u8 nf_trace:1;
			__u8 offload_fwd_mark:1;
			__u8 offload_l3_fwd_mark:1;
			__u8 redirected:1;
			__u8 from_ingress:1;
			__u8 nf_skip_egress:1;
			__u8 decrypted:1;
			__u8 slow_gro:1;
			__u8 csum_not_inet:1;
			__u8 scm_io_uring:1;

			__u16 tc_index;
			u16 alloc_cpu;

			union {
				__wsum csum;
				struct {
					__u16 csum_start;
					__u16 csum_offset;
				};
			};
			__u32 priority;
			int skb_iif;
			__u32 hash;
			union {
				u32 vlan_all;
				struct {
					__be16 vlan_proto;
					__u16 vlan_tci;
				};
			};
			union {
				unsigned int napi_id;
				unsigned int sender_cpu;
			};
			__u32 secmark;
			union {
				__u32 mark;
				__u32 reserved_tailroom;
			};
			union {
				__be16 inner_protocol;
				__u8 inner_ipproto;
			};
			__u16 inner_transport_header;
			__u16 inner_network_header;
			__u16 inner_mac_header;
			__be16 protocol;
			__u16 transport_header;
			__u16 network_header;
			__u16 mac_header;
		} headers;
	};

	/* These elements must be at the end, see alloc_skb() for details. */
	sk_buff_data_t tail;
	sk_buff_data_t end;
	unsigned char *head,
		      *data;
	unsigned int truesize;
	refcount_t users;
	struct skb_ext *extensions;
};

/*
 * What skb_shinfo(skb) points to: the end of the head buffer (skb->head +
 * skb->end), as include/linux/skbuff.h (6.12) declares it; 320 bytes with
 * MAX_SKB_FRAGS 17.
 */
typedef unsigned long netmem_ref;

struct skb_frag {
	netmem_ref netmem;
	unsigned int len;
	unsigned int offset;
};
typedef struct skb_frag skb_frag_t;

struct skb_shared_hwtstamps {
	union {
		ktime_t hwtstamp;
		void *netdev_data;
	};
};

struct xsk_tx_metadata_compl {
	__u64 *tx_timestamp;
};

struct skb_shared_info {
	__u8 flags;
	__u8 meta_len;
	__u8 nr_frags;
	__u8 tx_flags;
	unsigned short gso_size;
	unsigned short gso_segs;
	struct sk_buff *frag_list;
	union {
		struct skb_shared_hwtstamps hwtstamps;
		struct xsk_tx_metadata_compl xsk_meta;
	};
	unsigned int gso_type;
	u32 tskey;
	atomic_t dataref;
	union {
		struct {
			u32 xdp_frags_size;
			u32 xdp_frags_truesize;
		};
		void *destructor_arg;
	};
	skb_frag_t frags[17];
};

/* include/net/sock.h */
struct sock_common {
	union {
		__addrpair skc_addrpair;
		struct {
			__be32 skc_daddr;
			__be32 skc_rcv_saddr;
		};
	};
	union {
		unsigned int skc_hash;
		__u16 skc_u16hashes[2];
	};
	/* skc_dport && skc_num must be grouped as well */
	union {
		__portpair skc_portpair;
		struct {
			__be16 skc_dport;
			__u16 skc_num;
		};
	};

	unsigned short skc_family;
	volatile unsigned char skc_state;
	unsigned char skc_reuse:4;
	unsigned char skc_reuseport:1;
	unsigned char skc_ipv6only:1;
	unsigned char skc_net_refcnt:1;
	int skc_bound_dev_if;
	union {
		struct hlist_node skc_bind_node;
		struct hlist_node skc_portaddr_node;
	};
	struct proto *skc_prot;
	possible_net_t skc_net;

	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;

	atomic64_t skc_cookie;

	union {
		unsigned long skc_flags;
		struct sock *skc_listener;
		struct inet_timewait_death_row *skc_tw_dr;
	};
	int skc_dontcopy_begin[0];
	union {
		struct hlist_node skc_node;
		struct hlist_node skc_nulls_node;
	};
	unsigned short skc_tx_queue_mapping;
	unsigned short skc_rx_queue_mapping;
	union {
		int skc_incoming_cpu;
		u32 skc_rcv_wnd;
		u32 skc_tw_rcv_nxt;
	};

	refcount_t skc_refcnt;
	int skc_dontcopy_end[0];
	union {
		u32 skc_rxhash;
		u32 skc_window_clamp;
		u32 skc_tw_snd_nxt;
	};
};

typedef struct {
	spinlock_t slock;
	int owned;
	wait_queue_head_t wq;
} socket_lock_t;

struct sock {
	struct sock_common __sk_common;
	struct dst_entry *sk_rx_dst;
	int sk_rx_dst_ifindex;
	u32 sk_rx_dst_cookie;
	socket_lock_t sk_lock;
	atomic_t sk_drops;
	int sk_rcvlowat;
	struct sk_buff_head sk_error_queue;
	struct sk_buff_head sk_receive_queue;
	struct {
		atomic_t rmem_alloc;
		int len;
		struct sk_buff *head;
		struct sk_buff *tail;
	} sk_backlog;
	int sk_forward_alloc;
	u32 sk_reserved_mem;
	unsigned int sk_ll_usec;
	unsigned int sk_napi_id;
	int sk_rcvbuf;
	int sk_disconnects;
	struct sk_filter *sk_filter;
	union {
		struct socket_wq *sk_wq;
		struct socket_wq *sk_wq_raw;
	};
	struct xfrm_policy *sk_policy[2];
	struct dst_entry *sk_dst_cache;
	atomic_t sk_omem_alloc;
	int sk_sndbuf;
	int sk_wmem_queued;
	refcount_t sk_wmem_alloc;
	unsigned long sk_tsq_flags;
	union {
		struct sk_buff *sk_send_head;
		struct rb_root tcp_rtx_queue;
	};
	struct sk_buff_head sk_write_queue;
	__s32 sk_peek_off;
	int sk_write_pending;
	__u32 sk_dst_pending_confirm;
	u32 sk_pacing_status;
	long sk_sndtimeo;
	struct timer_list sk_timer;
	__u32 sk_priority;
	__u32 sk_mark;
	unsigned long sk_pacing_rate;
	unsigned long sk_max_pacing_rate;
	struct page_frag sk_frag;
	netdev_features_t sk_route_caps;
	int sk_gso_type;
	unsigned int sk_gso_max_size;
	gfp_t sk_allocation;
	__u32 sk_txhash;
	u8 sk_gso_disabled:1,
	   sk_kern_sock:1,
	   sk_no_check_tx:1,
	   sk_no_check_rx:1,
	   sk_userlocks:4;
	u8 sk_pacing_shift;
	u16 sk_type;
	u16 sk_protocol;
	u16 sk_gso_max_segs;
	unsigned long sk_lingertime;
	struct proto *sk_prot_creator;
	rwlock_t sk_callback_lock;
	int sk_err,
	    sk_err_soft;
	u32 sk_ack_backlog;
	u32 sk_max_ack_backlog;
	kuid_t sk_uid;
	u8 sk_txrehash;
	u8 sk_prefer_busy_poll;
	u16 sk_busy_poll_budget;
	spinlock_t sk_peer_lock;
	int sk_bind_phc;
	struct pid *sk_peer_pid;
	const struct cred *sk_peer_cred;
	long sk_rcvtimeo;
	ktime_t sk_stamp;
	atomic_t sk_tskey;
	atomic_t sk_zckey;
	u32 sk_tsflags;
	u8 sk_shutdown;
	u8 sk_clockid;
	u8 sk_txtime_deadline_mode:1,
	   sk_txtime_report_errors:1,
	   sk_txtime_unused:6;
	bool sk_use_task_frag;
	struct socket *sk_socket;
	void *sk_user_data;
	void *sk_security;
	struct mem_cgroup *sk_memcg;
	void (*sk_state_change)(struct sock *sk);
	void (*sk_data_ready)(struct sock *sk);
	void (*sk_write_space)(struct sock *sk);
	void (*sk_error_report)(struct sock *sk);
	int (*sk_backlog_rcv)(struct sock *sk, struct sk_buff *skb);
	void (*sk_destruct)(struct sock *sk);
	struct callback_head sk_rcu;
};

/* include/net/inet_sock.h */
struct inet_cork {
	unsigned int flags;
	__be32 addr;
	struct ip_options *opt;
	unsigned int fragsize;
	int length;
	struct dst_entry *dst;
	u8 tx_flags;
	__u8 ttl;
	__s16 tos;
	char priority;
	__u16 gso_size;
	u64 transmit_time;
	u32 mark;
};

struct inet_sock {
	/* sk and pinet6 has to be the first two members of inet_sock */
	struct sock sk;
	struct ipv6_pinfo *pinet6;
	unsigned long inet_flags;
	__be32 inet_saddr;
	__s16 uc_ttl;
	__be16 inet_sport;
	struct ip_options_rcu *inet_opt;
	atomic_t inet_id;
	__u8 tos;
	__u8 min_ttl;
	__u8 mc_ttl;
	__u8 pmtudisc;
	__u8 rcv_tos;
	__u8 convert_csum;
	int uc_index;
	int mc_index;
	__be32 mc_addr;
	u32 local_port_range;
	struct ip_mc_socklist *mc_list;
	struct inet_cork cork;
};

/* include/net/inet_connection_sock.h */
struct inet_connection_sock {
	/* inet_sock has to be the first member! */
	struct inet_sock icsk_inet;
	struct inet_bind_bucket *icsk_bind_hash;
	unsigned long icsk_timeout;
	struct timer_list icsk_retransmit_timer;
	struct timer_list icsk_delack_timer;
	__u32 icsk_rto;
	__u32 icsk_rto_min;
	__u32 icsk_delack_max;
	__u32 icsk_pmtu_cookie;
	const struct tcp_congestion_ops *icsk_ca_ops;
	const struct inet_connection_sock_af_ops *icsk_af_ops;
	void (*icsk_clean_acked)(struct sock *sk, u32 acked_seq);
	unsigned int (*icsk_sync_mss)(struct sock *sk, u32 pmtu);
	__u8 icsk_ca_state:5,
	     icsk_ca_initialized:1,
	     icsk_ca_setsockopt:1,
	     icsk_ca_dst_locked:1;
	__u8 icsk_retransmits;
	__u8 icsk_pending;
	__u8 icsk_backoff;
	__u8 icsk_syn_retries;
	__u8 icsk_probes_out;
	__u16 icsk_ext_hdr_len;
	struct {
		__u8 pending;
		__u8 quick;
		__u8 pingpong;
		__u8 retry;
		__u32 ato;
		unsigned long timeout;
		__u32 lrcvtime;
		__u16 last_seg_size;
		__u16 rcv_mss;
	} icsk_ack;
	struct {
		int search_high;
		int search_low;
		u32 probe_size:31,
		    enabled:1;
		u32 probe_timestamp;
	} icsk_mtup;
	u32 icsk_probes_tstamp;
	u32 icsk_user_timeout;
	u64 icsk_ca_priv[13];
};

/* include/linux/tcp.h */
struct tcp_sock {
	/* inet_connection_sock has to be the first member of tcp_sock */
	struct inet_connection_sock inet_conn;
	u16 tcp_header_len;
	u16 gso_segs;
	__be32 pred_flags;
	u64 bytes_received;
	u32 segs_in;
	u32 data_segs_in;
	u32 rcv_nxt;
	u32 copied_seq;
	u32 rcv_wup;
	u32 snd_nxt;
	u32 segs_out;
	u32 data_segs_out;
	u64 bytes_sent;
	u64 bytes_acked;
	u32 dsack_dups;
	u32 snd_una;
	u32 snd_sml;
	u32 rcv_tstamp;
	u32 lsndtime;
	u32 last_oow_ack_time;
	u32 compressed_ack_rcv_nxt;
	u32 tsoffset;
	struct list_head tsq_node;
	struct list_head tsorted_sent_queue;
	u32 snd_wl1;
	u32 snd_wnd;
	u32 max_window;
	u32 mss_cache;
	u32 window_clamp;
	u32 rcv_ssthresh;
	u8 scaling_ratio;
	u16 advmss;
	u8 compressed_ack;
	u8 dup_ack_counter:2,
	   tlp_retrans:1,
	   unused:5;
	u32 chrono_start;
	u32 chrono_stat[3];
	u8 chrono_type:2,
	   rate_app_limited:1,
	   fastopen_connect:1,
	   fastopen_no_cookie:1,
	   is_sack_reneg:1,
	   fastopen_client_fail:2;
	u8 nonagle:4,
	   thin_lto:1,
	   recvmsg_inq:1,
	   repair:1,
	   frto:1;
	u32 srtt_us;
	u32 mdev_us;
	u32 mdev_max_us;
	u32 rttvar_us;
	u32 rtt_seq;
	u32 packets_out;
	u32 retrans_out;
	u32 max_packets_out;
	u32 cwnd_usage_seq;
	u16 urg_data;
	u8 ecn_flags;
	u8 keepalive_probes;
	u32 reordering;
	u32 reord_seen;
	u32 snd_up;
	u32 snd_ssthresh;
	u32 snd_cwnd;
	u32 snd_cwnd_cnt;
	u32 snd_cwnd_clamp;
	u32 snd_cwnd_used;
	u32 snd_cwnd_stamp;
	u32 prior_cwnd;
	u32 prr_delivered;
	u32 prr_out;
	u32 delivered;
	u32 delivered_ce;
	u32 lost;
	u32 app_limited;
	u64 first_tx_mstamp;
	u64 delivered_mstamp;
	u32 rate_delivered;
	u32 rate_interval_us;
	u32 rcv_wnd;
	u32 write_seq;
	u32 notsent_lowat;
	u32 pushed_seq;
	u32 lost_out;
	u32 sacked_out;
	u64 tcp_wstamp_ns;
	u64 tcp_clock_cache;
	u64 tcp_mstamp;
	u32 total_retrans;
	u32 urg_seq;
	unsigned int keepalive_time;
	unsigned int keepalive_intvl;
	int linger2;
	u32 rcv_ooopack;
	struct rb_root out_of_order_queue;
};

/* include/linux/udp.h */
struct udp_sock {
	/* inet_sock has to be the first member */
	struct inet_sock inet;
	unsigned long udp_flags;
	int pending;
	__u8 encap_type;
	__u16 len;
	__u16 gso_size;
	__u16 pcslen;
	__u16 pcrlen;
	int (*encap_rcv)(struct sock *sk, struct sk_buff *skb);
	void (*encap_err_rcv)(struct sock *sk, struct sk_buff *skb, int err, __be16 port, u32 info, u8 *payload);
	int (*encap_err_lookup)(struct sock *sk, struct sk_buff *skb);
	void (*encap_destroy)(struct sock *sk);
	struct sk_buff *(*gro_receive)(struct sock *sk, struct list_head *head, struct sk_buff *skb);
	int (*gro_complete)(struct sock *sk, struct sk_buff *skb, int nhoff);
	struct sk_buff_head reader_queue __attribute__((aligned(64)));
	int forward_deficit;
	int forward_threshold;
};

/* include/linux/netdevice.h */
struct net_device_stats {
	union {
		unsigned long rx_packets;
		atomic_long_t __rx_packets;
	};
	union {
		unsigned long tx_packets;
		atomic_long_t __tx_packets;
	};
	union {
		unsigned long rx_bytes;
		atomic_long_t __rx_bytes;
	};
	union {
		unsigned long tx_bytes;
		atomic_long_t __tx_bytes;
	};
	union {
		unsigned long rx_errors;
		atomic_long_t __rx_errors;
	};
	union {
		unsigned long tx_errors;
		atomic_long_t __tx_errors;
	};
	union {
		unsigned long rx_dropped;
		atomic_long_t __rx_dropped;
	};
	union {
		unsigned long tx_dropped;
		atomic_long_t __tx_dropped;
	};
	union {
		unsigned long multicast;
		atomic_long_t __multicast;
	};
	union {
		unsigned long collisions;
		atomic_long_t __collisions;
	};
};

enum netdev_tx {
	__NETDEV_TX_MIN = -2147483647 - 1,
	NETDEV_TX_OK = 0x00,
	NETDEV_TX_BUSY = 0x10,
};
typedef enum netdev_tx netdev_tx_t;

enum netdev_features_bits {
	NETIF_F_SG_BIT,
	NETIF_F_IP_CSUM_BIT,
	NETIF_F_HW_CSUM_BIT = NETIF_F_IP_CSUM_BIT + 2,
	NETIF_F_IPV6_CSUM_BIT,
	NETIF_F_HIGHDMA_BIT,
	NETIF_F_GSO_SHIFT = 16,
	NETIF_F_TSO_BIT = NETIF_F_GSO_SHIFT,
	NETIF_F_HW_TLS_RX = 0x100000000,
	NETIF_F_GRO_HW = (0x100000000 << 1) | 0x1,
};

struct net_device {
	char name[16];
	struct netdev_name_node *name_node;
	struct dev_ifalias *ifalias;
	unsigned long mem_end;
	unsigned long mem_start;
	unsigned long base_addr;
	unsigned long state;
	struct list_head dev_list;
	struct list_head napi_list;
	struct list_head unreg_list;
	struct list_head close_list;
	struct list_head ptype_all;
	struct list_head ptype_specific;
	struct {
		struct list_head upper;
		struct list_head lower;
	} adj_list;
	unsigned int flags;
	unsigned long long priv_flags;
	const struct net_device_ops *netdev_ops;
	int ifindex;
	unsigned short gflags;
	unsigned short hard_header_len;
	unsigned int mtu;
	unsigned short needed_headroom;
	unsigned short needed_tailroom;
	netdev_features_t features;
	netdev_features_t hw_features;
	netdev_features_t wanted_features;
	netdev_features_t vlan_features;
	unsigned int min_mtu;
	unsigned int max_mtu;
	unsigned short type;
	unsigned char min_header_len;
	unsigned char name_assign_type;
	int group;
	struct net_device_stats stats;
	const struct ethtool_ops *ethtool_ops;
	const struct header_ops *header_ops;
	unsigned char operstate;
	unsigned char link_mode;
	unsigned char if_port;
	unsigned char dma;
	unsigned char perm_addr[32];
	unsigned char addr_assign_type;
	unsigned char addr_len;
	unsigned short neigh_priv_len;
	unsigned short dev_id;
	unsigned short dev_port;
	const unsigned char *dev_addr;
	struct netdev_rx_queue *_rx;
	unsigned int num_rx_queues;
	unsigned int real_num_rx_queues;
	struct netdev_queue *_tx __attribute__((aligned(64)));
	unsigned int num_tx_queues;
	unsigned int real_num_tx_queues;
	unsigned int tx_queue_len;
	spinlock_t tx_global_lock;
	possible_net_t nd_net;
	unsigned int gso_max_size;
	u16 gso_max_segs;
	u16 tso_max_segs;
	int irq;
	u32 priv_len;
};

/* include/net/net_namespace.h */
struct net {
	/* First cache line can be often dirtied. */
	refcount_t passive;
	spinlock_t rules_mod_lock;
	unsigned int dev_base_seq;
	u32 ifindex;
	spinlock_t nsid_lock;
	atomic_t fnhe_genid;
	struct list_head list;
	struct list_head exit_list;
	struct llist_node cleanup_list;
	struct user_namespace *user_ns;
	struct ucounts *ucounts;
	struct ns_common ns;
	struct list_head dev_base_head;
	struct proc_dir_entry *proc_net;
	struct proc_dir_entry *proc_net_stat;
	struct sock *rtnl;
	struct sock *genl_sock;
	struct hlist_head *dev_name_head;
	struct hlist_head *dev_index_head;
	u32 hash_mix;
	struct net_device *loopback_dev;
	struct list_head rules_ops;
	struct sock *diag_nlsk;
} __attribute__((aligned(64)));

/* include/linux/socket.h */
struct msghdr {
	void *msg_name;
	int msg_namelen;
	int msg_inq;
	struct iov_iter msg_iter;
	union {
		void *msg_control;
		void *msg_control_user;
	};
	bool msg_control_is_user:1;
	bool msg_get_inq:1;
	unsigned int msg_flags;
	__kernel_size_t msg_controllen;
	struct kiocb *msg_iocb;
	struct ubuf_info *msg_ubuf;
	int (*sg_from_iter)(struct sock *sk, struct sk_buff *skb, struct iov_iter *from, size_t length);
};

/* include/uapi/linux/net.h */
typedef enum {
	SS_FREE = 0,
	SS_UNCONNECTED,
	SS_CONNECTING,
	SS_CONNECTED,
	SS_DISCONNECTING,
} socket_state;

/* include/linux/net.h */
struct socket_wq {
	wait_queue_head_t wait;
	struct fasync_struct *fasync_list;
	unsigned long flags;
	struct callback_head rcu;
} __attribute__((aligned(64)));

struct socket {
	socket_state state;
	short type;
	unsigned long flags;
	struct file *file;
	struct sock *sk;
	const struct proto_ops *ops;
	struct socket_wq wq;
};

typedef int (*sk_read_actor_t)(void *desc, struct sk_buff *skb, unsigned int offset, size_t len);
typedef int (*skb_read_actor_t)(struct sock *sk, struct sk_buff *skb);

struct proto_ops {
	int family;
	struct module *owner;
	int (*release)(struct socket *sock);
	int (*bind)(struct socket *sock, struct sockaddr *myaddr, int sockaddr_len);
	int (*connect)(struct socket *sock, struct sockaddr *vaddr, int sockaddr_len, int flags);
	int (*socketpair)(struct socket *sock1, struct socket *sock2);
	int (*accept)(struct socket *sock, struct socket *newsock, int flags, bool kern);
	int (*getname)(struct socket *sock, struct sockaddr *addr, int peer);
	__poll_t (*poll)(struct file *file, struct socket *sock, struct poll_table_struct *wait);
	int (*ioctl)(struct socket *sock, unsigned int cmd, unsigned long arg);
	int (*listen)(struct socket *sock, int len);
	int (*shutdown)(struct socket *sock, int flags);
	int (*setsockopt)(struct socket *sock, int level, int optname, void *optval, unsigned int optlen);
	int (*getsockopt)(struct socket *sock, int level, int optname, char *optval, int *optlen);
	int (*sendmsg)(struct socket *sock, struct msghdr *m, size_t total_len);
	int (*recvmsg)(struct socket *sock, struct msghdr *m, size_t total_len, int flags);
	int (*mmap)(struct file *file, struct socket *sock, struct vm_area_struct *vma);
	int (*read_sock)(struct sock *sk, void *desc, sk_read_actor_t recv_actor);
	int (*read_skb)(struct sock *sk, skb_read_actor_t recv_actor);
	int (*set_rcvlowat)(struct sock *sk, int val);
};

/*
 * Wire headers and IPv6/netlink socket state (include/uapi/linux/tcp.h,
 * include/uapi/linux/netlink.h, include/linux/netlink.h,
 * include/linux/ipv6.h): Linux's members, order, bitfields and offsets.
 */
struct ipv6_txoptions;
struct ipv6_mc_socklist;
struct ipv6_ac_socklist;
struct netlink_ext_ack;

struct tcphdr {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u16 ae:1,
		res1:3,
		doff:4,
		fin:1,
		syn:1,
		rst:1,
		psh:1,
		ack:1,
		urg:1,
		ece:1,
		cwr:1;
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
};

struct nlmsghdr {
	__u32 nlmsg_len;
	__u16 nlmsg_type;
	__u16 nlmsg_flags;
	__u32 nlmsg_seq;
	__u32 nlmsg_pid;
};

struct netlink_callback {
	struct sk_buff *skb;
	const struct nlmsghdr *nlh;
	int (*dump)(struct sk_buff *skb, struct netlink_callback *cb);
	int (*done)(struct netlink_callback *cb);
	void *data;
	struct module *module;
	struct netlink_ext_ack *extack;
	u16 family;
	u16 answer_flags;
	u32 min_dump_alloc;
	unsigned int prev_seq;
	unsigned int seq;
	int flags;
	bool strict_check;
	union {
		u8 ctx[48];
		long args[6];
	};
};

struct in6_pktinfo {
	struct in6_addr ipi6_addr;
	int ipi6_ifindex;
};

struct inet6_cork {
	struct ipv6_txoptions *opt;
	u8 hop_limit;
	u8 tclass;
	u8 dontfrag:1;
};

struct ipv6_pinfo {
	struct in6_addr saddr;
	__be32 flow_label;
	u32 dst_cookie;
	struct ipv6_txoptions *opt;
	s16 hop_limit;
	u8 pmtudisc;
	u8 tclass;
	bool saddr_cache;
	bool daddr_cache;
	u8 mcast_hops;
	u32 frag_size;
	int ucast_oif;
	int mcast_oif;
	union {
		struct {
			u16 srcrt:1,
				osrcrt:1,
				rxinfo:1,
				rxoinfo:1,
				rxhlim:1,
				rxohlim:1,
				hopopts:1,
				ohopopts:1,
				dstopts:1,
				odstopts:1,
				rxflow:1,
				rxtclass:1,
				rxpmtu:1,
				rxorigdstaddr:1,
				recvfragsize:1;
		} bits;
		u16 all;
	} rxopt;
	u8 srcprefs;
	u8 min_hopcount;
	__be32 rcv_flowinfo;
	struct in6_pktinfo sticky_pktinfo;
	struct sk_buff *pktoptions;
	struct sk_buff *rxpmtu;
	struct inet6_cork cork;
	struct ipv6_mc_socklist *ipv6_mc_list;
	struct ipv6_ac_socklist *ipv6_ac_list;
};

/* include/linux/rhashtable-types.h */
struct rhash_head {
	struct rhash_head *next;
};

/* net/netlink/af_netlink.h */
struct netlink_sock {
	/* struct sock has to be the first member of netlink_sock */
	struct sock sk;
	unsigned long flags;
	u32 portid;
	u32 dst_portid;
	u32 dst_group;
	u32 subscriptions;
	u32 ngroups;
	unsigned long *groups;
	unsigned long state;
	size_t max_recvmsg_len;
	wait_queue_head_t wait;
	bool bound;
	bool cb_running;
	int dump_done_errno;
	struct netlink_callback cb;
	struct mutex *cb_mutex;
	struct mutex cb_def_mutex;
	void (*netlink_rcv)(struct sk_buff *skb);
	int (*netlink_bind)(struct net *net, int group);
	void (*netlink_unbind)(struct net *net, int group);
	void (*netlink_release)(struct sock *sk, unsigned long *groups);
	struct module *module;
	struct rhash_head node;
	struct callback_head rcu;
};

/* include/net/flow.h */
struct flowi_common {
	int flowic_oif;
	int flowic_iif;
	int flowic_l3mdev;
	__u32 flowic_mark;
	__u8 flowic_tos;
	__u8 flowic_scope;
	__u8 flowic_proto;
	__u8 flowic_flags;
	__u32 flowic_secid;
	kuid_t flowic_uid;
	__u32 flowic_multipath_hash;
};

struct flowi6 {
	struct flowi_common __fl_common;
	struct in6_addr daddr;
	struct in6_addr saddr;
	__be32 flowlabel;
	union {
		struct {
			__be16 dport;
			__be16 sport;
		} ports;
		__be32 spi;
	} uli;
	__u32 mp_hash;
} __attribute__((aligned(8)));

/* include/net/ip_fib.h */
struct fib_nh_common {
	struct net_device *nhc_dev;
	int nhc_oif;
	unsigned char nhc_scope;
	u8 nhc_family;
	u8 nhc_gw_family;
	unsigned char nhc_flags;
	struct lwtunnel_state *nhc_lwtstate;
	union {
		__be32 ipv4;
		struct in6_addr ipv6;
	} nhc_gw;
	int nhc_weight;
	atomic_t nhc_upper_bound;
};

/* include/net/ip6_fib.h */
struct rt6key {
	struct in6_addr addr;
	int plen;
};

struct fib6_nh {
	struct fib_nh_common nh_common;
	struct rt6_info **rt6i_pcpu;
	struct rt6_exception_bucket *rt6i_exception_bucket;
};

struct fib6_info {
	struct fib6_table *fib6_table;
	struct fib6_info *fib6_next;
	struct fib6_node *fib6_node;

	/* Multipath routes:
	 * siblings is a list of fib6_info that have the same metric/weight,
	 * destination, but not the same gateway. nsiblings is just a cache
	 * to speed up lookup.
	 */
	union {
		struct list_head fib6_siblings;
		struct list_head nh_list;
	};
	unsigned int fib6_nsiblings;

	refcount_t fib6_ref;
	unsigned long expires;

	struct hlist_node gc_link;

	struct dst_metrics *fib6_metrics;
	struct rt6key fib6_dst;
	u32 fib6_flags;
	struct rt6key fib6_src;
	struct rt6key fib6_prefsrc;

	u32 fib6_metric;
	u8 fib6_protocol;
	u8 fib6_type;

	u8 offload;
	u8 trap;
	u8 offload_failed;

	u8 should_flush:1,
	   dst_nocount:1,
	   dst_nopolicy:1,
	   fib6_destroying:1,
	   unused:4;

	struct callback_head rcu;
	struct nexthop *nh;
	struct fib6_nh fib6_nh[];
};

struct fib6_result {
	struct fib6_nh *nh;
	struct fib6_info *f6i;
	u32 fib6_flags;
	u8 fib6_type;
	struct rt6_info *rt6;
};

/* include/uapi/linux/socket.h, in.h, in6.h, if_ether.h, ip.h, ipv6.h, udp.h */
typedef unsigned short __kernel_sa_family_t;
typedef __kernel_sa_family_t sa_family_t;

struct sockaddr {
	sa_family_t sa_family;
	char sa_data[14];
};

struct in_addr {
	__be32 s_addr;
};

struct sockaddr_in {
	__kernel_sa_family_t sin_family;
	__be16 sin_port;
	struct in_addr sin_addr;
	unsigned char __pad[8];
};

struct sockaddr_in6 {
	unsigned short sin6_family;
	__be16 sin6_port;
	__be32 sin6_flowinfo;
	struct in6_addr sin6_addr;
	__u32 sin6_scope_id;
};

struct ethhdr {
	unsigned char h_dest[6];
	unsigned char h_source[6];
	__be16 h_proto;
} __attribute__((packed));

struct iphdr {
	__u8 ihl:4,
		version:4;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__sum16 check;
	union {
		struct {
			__be32 saddr;
			__be32 daddr;
		};
		struct {
			__be32 saddr;
			__be32 daddr;
		} addrs;
	};
};

struct ipv6hdr {
	__u8 priority:4,
		version:4;
	__u8 flow_lbl[3];
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	union {
		struct {
			struct in6_addr saddr;
			struct in6_addr daddr;
		};
		struct {
			struct in6_addr saddr;
			struct in6_addr daddr;
		} addrs;
	};
};

struct udphdr {
	__be16 source;
	__be16 dest;
	__be16 len;
	__sum16 check;
};

/* include/linux/socket.h: the user's struct msghdr (sendmsg/recvmsg) */
struct user_msghdr {
	void *msg_name;
	int msg_namelen;
	struct iovec *msg_iov;
	__kernel_size_t msg_iovlen;
	void *msg_control;
	__kernel_size_t msg_controllen;
	unsigned int msg_flags;
};

/* include/linux/net.h (6.10+): what accept passes down */
struct proto_accept_arg {
	unsigned int flags;
	int err;
	int is_empty;
	bool kern;
};

/* include/net/rstreason.h */
enum sk_rst_reason {
	SK_RST_REASON_NOT_SPECIFIED,
	SK_RST_REASON_NO_SOCKET,
	SK_RST_REASON_TCP_INVALID_ACK_SEQUENCE,
	SK_RST_REASON_TCP_RFC7323_PAWS,
	SK_RST_REASON_TCP_TOO_OLD_ACK,
	SK_RST_REASON_TCP_ACK_UNSENT_DATA,
	SK_RST_REASON_TCP_FLAGS,
	SK_RST_REASON_TCP_OLD_ACK,
	SK_RST_REASON_TCP_ABORT_ON_DATA,
	SK_RST_REASON_TCP_TIMEWAIT_SOCKET,
	SK_RST_REASON_INVALID_SYN,
	SK_RST_REASON_TCP_ABORT_ON_CLOSE,
	SK_RST_REASON_TCP_ABORT_ON_LINGER,
	SK_RST_REASON_TCP_ABORT_ON_MEMORY,
	SK_RST_REASON_TCP_STATE,
	SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT,
	SK_RST_REASON_TCP_DISCONNECT_WITH_DATA,
	SK_RST_REASON_MPTCP_RST_EUNSPEC,
	SK_RST_REASON_MPTCP_RST_EMPTCP,
	SK_RST_REASON_MPTCP_RST_ERESOURCE,
	SK_RST_REASON_MPTCP_RST_EPROHIBIT,
	SK_RST_REASON_MPTCP_RST_EWQ2BIG,
	SK_RST_REASON_MPTCP_RST_EBADPERF,
	SK_RST_REASON_MPTCP_RST_EMIDDLEBOX,
	SK_RST_REASON_ERROR,
	SK_RST_REASON_MAX,
};

/* include/net/tcp.h */
enum tcp_synack_type {
	TCP_SYNACK_NORMAL,
	TCP_SYNACK_FASTOPEN,
	TCP_SYNACK_COOKIE,
};

/* include/net/sock.h: sk_mem_schedule's kinds */
enum {
	SK_MEM_SEND = 0,
	SK_MEM_RECV = 1,
};

/* include/linux/netdevice.h */
enum gro_result {
	GRO_MERGED,
	GRO_MERGED_FREE,
	GRO_HELD,
	GRO_NORMAL,
	GRO_CONSUMED,
};
typedef enum gro_result gro_result_t;

struct napi_struct {
	struct list_head poll_list;
	unsigned long state;
	int weight;
	u32 defer_hard_irqs_count;
	unsigned long gro_bitmask;
	int (*poll)(struct napi_struct *, int);
	int poll_owner;
	int list_owner;
	struct net_device *dev;
	struct sk_buff *skb;
	struct list_head rx_list;
	int rx_count;
	unsigned int napi_id;
	struct task_struct *thread;
	struct list_head dev_list;
	struct hlist_node napi_hash_node;
	int irq;
};

struct flowi;
struct flowi4;
struct rtable;
struct udp_table;
struct inet_hashinfo;
struct request_sock;
struct request_sock_ops;
struct tcp_request_sock_ops;
struct tcp_fastopen_cookie;
struct used_address;
struct scm_timestamping_internal;
struct inet_timewait_death_row;
struct netlink_ext_ack;
struct ipv6_txoptions;
struct task_struct;
struct softirq_action;

/*
 * The records of the net events the model fires (include/trace/events/
 * skb.h, net.h, napi.h, sock.h, tcp.h, udp.h of 6.12; their format files in
 * tracepoint-defs/net.ts). inet_sock_set_state, tcp_event_sk,
 * net_dev_template and net_dev_xmit are in trace.h.
 */
struct trace_event_raw_sock_msg_length {
	struct trace_entry ent;
	void *sk;
	__u16 family;
	__u16 protocol;
	int ret;
	int flags;
	char __data[0];
};

struct trace_event_raw_sock_exceed_buf_limit {
	struct trace_entry ent;
	char name[32];
	long sysctl_mem[3];
	long allocated;
	int sysctl_rmem;
	int rmem_alloc;
	int sysctl_wmem;
	int wmem_alloc;
	int wmem_queued;
	int kind;
	char __data[0];
};

struct trace_event_raw_sk_data_ready {
	struct trace_entry ent;
	const void *skaddr;
	__u16 family;
	__u16 protocol;
	unsigned long ip;
	char __data[0];
};

struct trace_event_raw_tcp_event_sk_skb {
	struct trace_entry ent;
	const void *skbaddr;
	const void *skaddr;
	int state;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
	char __data[0];
};

struct trace_event_raw_tcp_send_reset {
	struct trace_entry ent;
	const void *skbaddr;
	const void *skaddr;
	int state;
	enum sk_rst_reason reason;
	__u8 saddr[28];
	__u8 daddr[28];
	char __data[0];
};

struct trace_event_raw_tcp_probe {
	struct trace_entry ent;
	__u8 saddr[28];
	__u8 daddr[28];
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u32 mark;
	__u16 data_len;
	__u32 snd_nxt;
	__u32 snd_una;
	__u32 snd_cwnd;
	__u32 ssthresh;
	__u32 snd_wnd;
	__u32 srtt;
	__u32 rcv_wnd;
	__u64 sock_cookie;
	const void *skbaddr;
	const void *skaddr;
	char __data[0];
};

struct trace_event_raw_consume_skb {
	struct trace_entry ent;
	void *skbaddr;
	void *location;
	char __data[0];
};

struct trace_event_raw_skb_copy_datagram_iovec {
	struct trace_entry ent;
	const void *skbaddr;
	int len;
	char __data[0];
};

struct trace_event_raw_net_dev_start_xmit {
	struct trace_entry ent;
	u32 __data_loc_name;
	u16 queue_mapping;
	const void *skbaddr;
	bool vlan_tagged;
	u16 vlan_proto;
	u16 vlan_tci;
	u16 protocol;
	u8 ip_summed;
	unsigned int len;
	unsigned int data_len;
	int network_offset;
	bool transport_offset_valid;
	int transport_offset;
	u8 tx_flags;
	u16 gso_size;
	u16 gso_segs;
	u16 gso_type;
	char __data[0];
};

struct trace_event_raw_net_dev_rx_verbose_template {
	struct trace_entry ent;
	u32 __data_loc_name;
	unsigned int napi_id;
	u16 queue_mapping;
	const void *skbaddr;
	bool vlan_tagged;
	u16 vlan_proto;
	u16 vlan_tci;
	u16 protocol;
	u8 ip_summed;
	u32 hash;
	bool l4_hash;
	unsigned int len;
	unsigned int data_len;
	unsigned int truesize;
	bool mac_header_valid;
	int mac_header;
	unsigned char nr_frags;
	u16 gso_size;
	u16 gso_type;
	char __data[0];
};

struct trace_event_raw_net_dev_rx_exit_template {
	struct trace_entry ent;
	int ret;
	char __data[0];
};

struct trace_event_raw_napi_poll {
	struct trace_entry ent;
	struct napi_struct *napi;
	u32 __data_loc_dev_name;
	int work;
	int budget;
	char __data[0];
};

struct trace_event_raw_udp_fail_queue_rcv_skb {
	struct trace_entry ent;
	int rc;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 saddr[28];
	__u8 daddr[28];
	char __data[0];
};

/* Their raw tracepoints' prototypes. */
typedef void (*btf_trace_inet_sock_set_state)(void *__data, const struct sock *sk, const int oldstate, const int newstate);
typedef void (*btf_trace_sock_send_length)(void *__data, struct sock *sk, int ret, int flags);
typedef void (*btf_trace_sock_recv_length)(void *__data, struct sock *sk, int ret, int flags);
typedef void (*btf_trace_sock_exceed_buf_limit)(void *__data, struct sock *sk, struct proto *prot, long allocated, int kind);
typedef void (*btf_trace_sk_data_ready)(void *__data, const struct sock *sk);
typedef void (*btf_trace_tcp_retransmit_skb)(void *__data, const struct sock *sk, const struct sk_buff *skb);
typedef void (*btf_trace_tcp_send_reset)(void *__data, const struct sock *sk, const struct sk_buff *skb, const enum sk_rst_reason reason);
typedef void (*btf_trace_tcp_receive_reset)(void *__data, struct sock *sk);
typedef void (*btf_trace_tcp_destroy_sock)(void *__data, struct sock *sk);
typedef void (*btf_trace_tcp_rcv_space_adjust)(void *__data, struct sock *sk);
typedef void (*btf_trace_tcp_probe)(void *__data, struct sock *sk, const struct sk_buff *skb);
typedef void (*btf_trace_consume_skb)(void *__data, struct sk_buff *skb, void *location);
typedef void (*btf_trace_skb_copy_datagram_iovec)(void *__data, const struct sk_buff *skb, int len);
typedef void (*btf_trace_net_dev_start_xmit)(void *__data, const struct sk_buff *skb, const struct net_device *dev);
typedef void (*btf_trace_net_dev_queue)(void *__data, struct sk_buff *skb);
typedef void (*btf_trace_netif_rx)(void *__data, struct sk_buff *skb);
typedef void (*btf_trace_netif_receive_skb_entry)(void *__data, const struct sk_buff *skb);
typedef void (*btf_trace_napi_gro_receive_entry)(void *__data, const struct sk_buff *skb);
typedef void (*btf_trace_netif_receive_skb_exit)(void *__data, int ret);
typedef void (*btf_trace_napi_gro_receive_exit)(void *__data, int ret);
typedef void (*btf_trace_netif_rx_exit)(void *__data, int ret);
typedef void (*btf_trace_napi_poll)(void *__data, struct napi_struct *napi, int work, int budget);
typedef void (*btf_trace_udp_fail_queue_rcv_skb)(void *__data, int rc, struct sock *sk, struct sk_buff *skb);

/* net/socket.c: the socket syscalls and struct socket's life */
int sock_sendmsg(struct socket *sock, struct msghdr *msg);
int sock_recvmsg(struct socket *sock, struct msghdr *msg, int flags);
int __sys_socket(int family, int type, int protocol);
int sock_create(int family, int type, int protocol, struct socket **res);
int __sock_create(struct net *net, int family, int type, int protocol, struct socket **res, int kern);
struct socket *sock_alloc(void);
struct file *sock_alloc_file(struct socket *sock, int flags, const char *dname);
int __sys_bind(int fd, struct sockaddr *umyaddr, int addrlen);
int __sys_listen(int fd, int backlog);
int __sys_connect(int fd, struct sockaddr *uservaddr, int addrlen);
int __sys_accept4(int fd, struct sockaddr *upeer_sockaddr, int *upeer_addrlen, int flags);
struct file *do_accept(struct file *file, struct proto_accept_arg *arg, struct sockaddr *upeer_sockaddr, int *upeer_addrlen, int flags);
int __sys_sendto(int fd, void *buff, size_t len, unsigned int flags, struct sockaddr *addr, int addr_len);
int __sys_recvfrom(int fd, void *ubuf, size_t size, unsigned int flags, struct sockaddr *addr, int *addr_len);
long __sys_sendmsg(int fd, struct user_msghdr *msg, unsigned int flags, bool forbid_cmsg_compat);
static int ___sys_sendmsg(struct socket *sock, struct user_msghdr *msg, struct msghdr *msg_sys, unsigned int flags, struct used_address *used_address, unsigned int allowed_msghdr_flags);
static int ____sys_sendmsg(struct socket *sock, struct msghdr *msg_sys, unsigned int flags, struct used_address *used_address, unsigned int allowed_msghdr_flags);
long __sys_recvmsg(int fd, struct user_msghdr *msg, unsigned int flags, bool forbid_cmsg_compat);
static int ___sys_recvmsg(struct socket *sock, struct user_msghdr *msg, struct msghdr *msg_sys, unsigned int flags, int nosec);
static int ____sys_recvmsg(struct socket *sock, struct msghdr *msg_sys, struct user_msghdr *msg, struct sockaddr *uaddr, unsigned int flags, int nosec);
int __sys_shutdown(int fd, int how);
static int sock_close(struct inode *inode, struct file *filp);
static void __sock_release(struct socket *sock, struct inode *inode);
static int do_open(struct inode *inode, struct file *file);

/* net/core/sock.c */
struct sock *sk_alloc(struct net *net, int family, gfp_t priority, struct proto *prot, int kern);
void sock_init_data(struct socket *sock, struct sock *sk);
void sk_free(struct sock *sk);
static void __sk_free(struct sock *sk);
void sk_destruct(struct sock *sk);
struct sock *sk_clone_lock(const struct sock *sk, const gfp_t priority);
void sock_def_readable(struct sock *sk);
void sock_wfree(struct sk_buff *skb);
void sock_rfree(struct sk_buff *skb);
void skb_set_owner_w(struct sk_buff *skb, struct sock *sk);
void lock_sock_nested(struct sock *sk, int subclass);
void release_sock(struct sock *sk);
void sk_reset_timer(struct sock *sk, struct timer_list *timer, unsigned long expires);
void sk_stop_timer(struct sock *sk, struct timer_list *timer);
int __sk_mem_schedule(struct sock *sk, int size, int kind);
int __sk_mem_raise_allocated(struct sock *sk, int size, int amt, int kind);
void sk_common_release(struct sock *sk);

/* net/ipv4/af_inet.c, inet_connection_sock.c, inet_hashtables.c */
static int inet_create(struct net *net, struct socket *sock, int protocol, int kern);
int inet_release(struct socket *sock);
int inet_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len);
int __inet_bind(struct sock *sk, struct sockaddr *uaddr, int addr_len, u32 flags);
int inet_listen(struct socket *sock, int backlog);
int inet_stream_connect(struct socket *sock, struct sockaddr *uaddr, int addr_len, int flags);
int inet_dgram_connect(struct socket *sock, struct sockaddr *uaddr, int addr_len, int flags);
void inet_sk_set_state(struct sock *sk, int state);
int __inet_stream_connect(struct socket *sock, struct sockaddr *uaddr, int addr_len, int flags, int is_sendmsg);
int inet_accept(struct socket *sock, struct socket *newsock, struct proto_accept_arg *arg);
int inet_shutdown(struct socket *sock, int how);
int inet_sendmsg(struct socket *sock, struct msghdr *msg, size_t size);
int inet_recvmsg(struct socket *sock, struct msghdr *msg, size_t size, int flags);
int inet_csk_get_port(struct sock *sk, unsigned short snum);
int inet_csk_listen_start(struct sock *sk);
struct sock *inet_csk_accept(struct sock *sk, struct proto_accept_arg *arg);
struct sock *inet_csk_clone_lock(const struct sock *sk, const struct request_sock *req, const gfp_t priority);
struct sock *inet_csk_complete_hashdance(struct sock *sk, struct sock *child, struct request_sock *req, bool own_req);
struct sock *inet_csk_reqsk_queue_add(struct sock *sk, struct request_sock *req, struct sock *child);
void inet_csk_destroy_sock(struct sock *sk);
struct request_sock *inet_reqsk_alloc(const struct request_sock_ops *ops, struct sock *sk_listener, bool attach_listener);
int inet_hash(struct sock *sk);
void inet_unhash(struct sock *sk);
int inet_hash_connect(struct inet_timewait_death_row *death_row, struct sock *sk);
bool inet_ehash_nolisten(struct sock *sk, struct sock *osk, bool *found_dup_sk);
struct sock *__inet_lookup_established(struct net *net, struct inet_hashinfo *hashinfo, const __be32 saddr, const __be16 sport, const __be32 daddr, const u16 hnum, const int dif, const int sdif);
struct sock *__inet_lookup_listener(struct net *net, struct inet_hashinfo *hashinfo, struct sk_buff *skb, int doff, const __be32 saddr, __be16 sport, const __be32 daddr, const unsigned short hnum, const int dif, const int sdif);

/* net/ipv4/tcp*.c */
void tcp_init_sock(struct sock *sk);
static int tcp_v4_init_sock(struct sock *sk);
void tcp_set_state(struct sock *sk, int state);
int tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
int tcp_sendmsg_locked(struct sock *sk, struct msghdr *msg, size_t size);
int tcp_send_mss(struct sock *sk, int *size_goal, int flags);
unsigned int tcp_current_mss(struct sock *sk);
struct sk_buff *tcp_stream_alloc_skb(struct sock *sk, gfp_t gfp, bool force_schedule);
void tcp_push(struct sock *sk, int flags, int mss_now, int nonagle, int size_goal);
void __tcp_push_pending_frames(struct sock *sk, unsigned int cur_mss, int nonagle);
static bool tcp_write_xmit(struct sock *sk, unsigned int mss_now, int nonagle, int push_one, gfp_t gfp);
static void tcp_event_new_data_sent(struct sock *sk, struct sk_buff *skb);
void tcp_rearm_rto(struct sock *sk);
static int __tcp_transmit_skb(struct sock *sk, struct sk_buff *skb, int clone_it, gfp_t gfp_mask, u32 rcv_nxt);
void tcp_v4_send_check(struct sock *sk, struct sk_buff *skb);
int tcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len);
static int tcp_recvmsg_locked(struct sock *sk, struct msghdr *msg, size_t len, int flags, struct scm_timestamping_internal *tss, int *cmsg_flags);
void tcp_cleanup_rbuf(struct sock *sk, int copied);
void tcp_rcv_space_adjust(struct sock *sk);
void tcp_rcv_established(struct sock *sk, struct sk_buff *skb);
int tcp_v4_rcv(struct sk_buff *skb);
int tcp_v4_do_rcv(struct sock *sk, struct sk_buff *skb);
enum skb_drop_reason tcp_rcv_state_process(struct sock *sk, struct sk_buff *skb);
static int tcp_rcv_synsent_state_process(struct sock *sk, struct sk_buff *skb, const struct tcphdr *th);
void tcp_finish_connect(struct sock *sk, struct sk_buff *skb);
void tcp_init_transfer(struct sock *sk, int bpf_op, struct sk_buff *skb);
int tcp_conn_request(struct request_sock_ops *rsk_ops, const struct tcp_request_sock_ops *af_ops, struct sock *sk, struct sk_buff *skb);
int tcp_v4_conn_request(struct sock *sk, struct sk_buff *skb);
static int tcp_v4_send_synack(const struct sock *sk, struct dst_entry *dst, struct flowi *fl, struct request_sock *req, struct tcp_fastopen_cookie *foc, enum tcp_synack_type synack_type, struct sk_buff *syn_skb);
struct sk_buff *tcp_make_synack(const struct sock *sk, struct dst_entry *dst, struct request_sock *req, struct tcp_fastopen_cookie *foc, enum tcp_synack_type synack_type, struct sk_buff *syn_skb);
struct sock *tcp_check_req(struct sock *sk, struct sk_buff *skb, struct request_sock *req, bool fastopen, bool *req_stolen);
struct sock *tcp_v4_syn_recv_sock(const struct sock *sk, struct sk_buff *skb, struct request_sock *req, struct dst_entry *dst, struct request_sock *req_unhash, bool *own_req);
struct sock *tcp_create_openreq_child(const struct sock *sk, struct request_sock *req, struct sk_buff *skb);
enum skb_drop_reason tcp_child_process(struct sock *parent, struct sock *child, struct sk_buff *skb);
int tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
int tcp_connect(struct sock *sk);
void tcp_send_ack(struct sock *sk);
void __tcp_send_ack(struct sock *sk, u32 rcv_nxt);
static int tcp_ack(struct sock *sk, const struct sk_buff *skb, int flag);
static void tcp_rtt_estimator(struct sock *sk, long mrtt_us);
static void tcp_data_queue(struct sock *sk, struct sk_buff *skb);
static int tcp_queue_rcv(struct sock *sk, struct sk_buff *skb, bool *fragstolen);
static void tcp_event_data_recv(struct sock *sk, struct sk_buff *skb);
static int tcp_try_rmem_schedule(struct sock *sk, const struct sk_buff *skb, unsigned int size);
void tcp_fin(struct sock *sk);
int tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb, int segs);
int __tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb, int segs);
void tcp_retransmit_timer(struct sock *sk);
static void tcp_write_timer(struct timer_list *t);
void tcp_write_timer_handler(struct sock *sk);
void tcp_send_active_reset(struct sock *sk, gfp_t priority, enum sk_rst_reason reason);
static void tcp_v4_send_reset(const struct sock *sk, struct sk_buff *skb, enum sk_rst_reason reason);
void tcp_reset(struct sock *sk, struct sk_buff *skb);
void tcp_done(struct sock *sk);
void tcp_shutdown(struct sock *sk, int how);
void tcp_close(struct sock *sk, long timeout);
void __tcp_close(struct sock *sk, long timeout);
void tcp_send_fin(struct sock *sk);
void tcp_time_wait(struct sock *sk, int state, int timeo);
void tcp_v4_destroy_sock(struct sock *sk);

/* net/ipv4/udp.c, datagram.c */
int udp_init_sock(struct sock *sk);
int udp_v4_get_port(struct sock *sk, unsigned short snum);
int ip4_datagram_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
int __ip4_datagram_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
int udp_sendmsg(struct sock *sk, struct msghdr *msg, size_t len);
static int udp_send_skb(struct sk_buff *skb, struct flowi4 *fl4, struct inet_cork *cork);
int udp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len);
struct sk_buff *__skb_recv_udp(struct sock *sk, unsigned int flags, int *off, int *err);
void skb_consume_udp(struct sock *sk, struct sk_buff *skb, int len);
int udp_rcv(struct sk_buff *skb);
int __udp4_lib_rcv(struct sk_buff *skb, struct udp_table *udptable, int proto);
struct sock *__udp4_lib_lookup(const struct net *net, __be32 saddr, __be16 sport, __be32 daddr, __be16 dport, int dif, int sdif, struct udp_table *tbl, struct sk_buff *skb);
static int udp_unicast_rcv_skb(struct sock *sk, struct sk_buff *skb, struct udphdr *uh);
static int udp_queue_rcv_skb(struct sock *sk, struct sk_buff *skb);
static int udp_queue_rcv_one_skb(struct sock *sk, struct sk_buff *skb);
static int __udp_queue_rcv_skb(struct sock *sk, struct sk_buff *skb);
int __udp_enqueue_schedule_skb(struct sock *sk, struct sk_buff *skb);
void udp_destroy_sock(struct sock *sk);

/* net/ipv4/ip_output.c, ip_input.c, route.c */
struct rtable *ip_route_output_flow(struct net *net, struct flowi4 *flp4, const struct sock *sk);
int ip_queue_xmit(struct sock *sk, struct sk_buff *skb, struct flowi *fl);
int __ip_queue_xmit(struct sock *sk, struct sk_buff *skb, struct flowi *fl, __u8 tos);
int ip_build_and_send_pkt(struct sk_buff *skb, const struct sock *sk, __be32 saddr, __be32 daddr, struct ip_options_rcu *opt, u8 tos);
int ip_send_skb(struct net *net, struct sk_buff *skb);
int ip_local_out(struct net *net, struct sock *sk, struct sk_buff *skb);
int __ip_local_out(struct net *net, struct sock *sk, struct sk_buff *skb);
int ip_output(struct net *net, struct sock *sk, struct sk_buff *skb);
static int ip_finish_output(struct net *net, struct sock *sk, struct sk_buff *skb);
static int ip_finish_output2(struct net *net, struct sock *sk, struct sk_buff *skb);
int ip_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt, struct net_device *orig_dev);
static struct sk_buff *ip_rcv_core(struct sk_buff *skb, struct net *net);
static int ip_rcv_finish_core(struct net *net, struct sk_buff *skb, struct net_device *dev, const struct sk_buff *hint);
static int ip_rcv_finish(struct net *net, struct sock *sk, struct sk_buff *skb);
int ip_local_deliver(struct sk_buff *skb);
static int ip_local_deliver_finish(struct net *net, struct sock *sk, struct sk_buff *skb);
void ip_protocol_deliver_rcu(struct net *net, struct sk_buff *skb, int protocol);

/* net/ipv6 */
static int inet6_create(struct net *net, struct socket *sock, int protocol, int kern);
int inet6_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len);
int inet6_release(struct socket *sock);
int inet6_sendmsg(struct socket *sock, struct msghdr *msg, size_t size);
int inet6_recvmsg(struct socket *sock, struct msghdr *msg, size_t size, int flags);
static int tcp_v6_init_sock(struct sock *sk);
static int tcp_v6_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
int tcp_v6_rcv(struct sk_buff *skb);
static int tcp_v6_do_rcv(struct sock *sk, struct sk_buff *skb);
void tcp_v6_send_check(struct sock *sk, struct sk_buff *skb);
int inet6_csk_xmit(struct sock *sk, struct sk_buff *skb, struct flowi *fl_unused);
struct dst_entry *ip6_dst_lookup_flow(struct net *net, const struct sock *sk, struct flowi6 *fl6, const struct in6_addr *final_dst);
struct dst_entry *ip6_route_output_flags(struct net *net, const struct sock *sk, struct flowi6 *fl6, int flags);
int fib6_lookup(struct net *net, int oif, struct flowi6 *fl6, struct fib6_result *res, int flags);
int ip6_xmit(const struct sock *sk, struct sk_buff *skb, struct flowi6 *fl6, __u32 mark, struct ipv6_txoptions *opt, int tclass, u32 priority);
int ip6_local_out(struct net *net, struct sock *sk, struct sk_buff *skb);
int ip6_output(struct net *net, struct sock *sk, struct sk_buff *skb);
static int ip6_finish_output(struct net *net, struct sock *sk, struct sk_buff *skb);
static int ip6_finish_output2(struct net *net, struct sock *sk, struct sk_buff *skb);
int ip6_send_skb(struct sk_buff *skb);
int ipv6_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt, struct net_device *orig_dev);
int ip6_rcv_finish(struct net *net, struct sock *sk, struct sk_buff *skb);
int ip6_input(struct sk_buff *skb);
static int ip6_input_finish(struct net *net, struct sock *sk, struct sk_buff *skb);
void ip6_protocol_deliver_rcu(struct net *net, struct sk_buff *skb, int nexthdr, bool have_final);
static int udpv6_init_sock(struct sock *sk);
int udpv6_sendmsg(struct sock *sk, struct msghdr *msg, size_t len);
static int udp_v6_send_skb(struct sk_buff *skb, struct flowi6 *fl6, struct inet_cork *cork);
int udpv6_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len);
int udpv6_rcv(struct sk_buff *skb);
int __udp6_lib_rcv(struct sk_buff *skb, struct udp_table *udptable, int proto);

/* net/core/dev.c, gro.c, drivers/net/loopback.c, virtio_net.c */
int __dev_queue_xmit(struct sk_buff *skb, struct net_device *sb_dev);
struct sk_buff *validate_xmit_skb(struct sk_buff *skb, struct net_device *dev, bool *again);
struct sk_buff *dev_hard_start_xmit(struct sk_buff *first, struct net_device *dev, struct netdev_queue *txq, int *ret);
static netdev_tx_t loopback_xmit(struct sk_buff *skb, struct net_device *dev);
static netdev_tx_t start_xmit(struct sk_buff *skb, struct net_device *dev);
int netif_rx(struct sk_buff *skb);
static int netif_rx_internal(struct sk_buff *skb);
static int enqueue_to_backlog(struct sk_buff *skb, int cpu, unsigned int *qtail);
static void net_rx_action(void);
static int __napi_poll(struct napi_struct *n, bool *repoll);
static int process_backlog(struct napi_struct *napi, int quota);
static int virtnet_poll(struct napi_struct *napi, int budget);
gro_result_t napi_gro_receive(struct napi_struct *napi, struct sk_buff *skb);
int netif_receive_skb(struct sk_buff *skb);
static int __netif_receive_skb(struct sk_buff *skb);
static int __netif_receive_skb_one_core(struct sk_buff *skb, bool pfmemalloc);
static int __netif_receive_skb_core(struct sk_buff **pskb, bool pfmemalloc, struct packet_type **ppt_prev);
void netdev_printk(const char *level, const struct net_device *dev, const char *format, ...);

/* net/core/skbuff.c, datagram.c */
void kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason);
void consume_skb(struct sk_buff *skb);
void __kfree_skb(struct sk_buff *skb);
static void kfree_skbmem(struct sk_buff *skb);
struct sk_buff *skb_clone(struct sk_buff *skb, gfp_t gfp_mask);
struct sk_buff *__alloc_skb(unsigned int size, gfp_t gfp_mask, int flags, int node);
struct sk_buff *napi_alloc_skb(struct napi_struct *napi, unsigned int len);
void *skb_put(struct sk_buff *skb, unsigned int len);
int skb_copy_datagram_iter(const struct sk_buff *skb, int offset, struct iov_iter *to, int len);

/* net/netlink/af_netlink.c, net/core/rtnetlink.c */
static int netlink_create(struct net *net, struct socket *sock, int protocol, int kern);
static int netlink_release(struct socket *sock);
static int netlink_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
static int netlink_recvmsg(struct socket *sock, struct msghdr *msg, size_t len, int flags);
int netlink_unicast(struct sock *ssk, struct sk_buff *skb, u32 portid, int nonblock);
static int __netlink_sendskb(struct sock *sk, struct sk_buff *skb);
static void rtnetlink_rcv(struct sk_buff *skb);
static int rtnetlink_rcv_msg(struct sk_buff *skb, struct nlmsghdr *nlh, struct netlink_ext_ack *extack);
static int inet_rtm_getroute(struct sk_buff *in_skb, struct nlmsghdr *nlh, struct netlink_ext_ack *extack);

#endif /* _BTFSNOOP_KMODEL_NET_H */
