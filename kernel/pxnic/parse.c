// SPDX-License-Identifier: GPL-2.0
/*
 * pxnic: parsing a frame off the wire.  Ethernet + IPv4/IPv6 + TCP, and
 * the checksums that the wire does not vouch for; anything else passes
 * through, as on a NIC without offloads for it.
 */
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip6_checksum.h>
#include <net/ip.h>

#include "engine.h"

static bool pxnic_parse_ipv4(const struct sk_buff *skb, struct pxnic_seg *s,
			     bool verify)
{
	u8 buf[60];	/* the longest IPv4 header */
	const struct iphdr *iph;
	unsigned int ihl, tot;

	iph = skb_header_pointer(skb, ETH_HLEN, sizeof(*iph), buf);
	if (!iph || iph->version != 4 || iph->ihl < 5 ||
	    iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return false;
	ihl = iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	/* BIG TCP: a TSO super-segment over 64 KiB has 0 there (ip.h). */
	if (!tot && skb_is_gso(skb) && skb_is_gso_tcp(skb))
		tot = skb->len - ETH_HLEN;
	if (tot < ihl || ETH_HLEN + tot > skb->len)
		return false;
	if (verify) {
		/* netem corrupt may have flipped a bit in here too. */
		iph = skb_header_pointer(skb, ETH_HLEN, ihl, buf);
		if (!iph || ip_fast_csum(iph, iph->ihl))
			s->csum_ok = false;
	}
	s->key.family = AF_INET;
	s->key.saddr.s6_addr32[0] = iph->saddr;
	s->key.daddr.s6_addr32[0] = iph->daddr;
	s->l4_off = ETH_HLEN + ihl;
	s->l4_len = tot - ihl;
	return true;
}

static bool pxnic_parse_ipv6(const struct sk_buff *skb, struct pxnic_seg *s)
{
	struct ipv6hdr _ip6h;
	const struct ipv6hdr *ip6h;
	unsigned int plen;

	ip6h = skb_header_pointer(skb, ETH_HLEN, sizeof(_ip6h), &_ip6h);
	if (!ip6h || ip6h->version != 6 || ip6h->nexthdr != IPPROTO_TCP)
		return false;
	plen = ntohs(ip6h->payload_len);
	if (!plen || ETH_HLEN + sizeof(*ip6h) + plen > skb->len)
		return false;	/* a jumbogram (BIG TCP) is not parsed */
	s->key.family = AF_INET6;
	s->key.saddr = ip6h->saddr;
	s->key.daddr = ip6h->daddr;
	s->l4_off = ETH_HLEN + sizeof(*ip6h);
	s->l4_len = plen;
	return true;
}

static bool pxnic_tcp_csum_ok(const struct sk_buff *skb,
			      const struct pxnic_seg *s)
{
	__wsum csum = skb_checksum(skb, s->l4_off, s->l4_len, 0);

	if (s->key.family == AF_INET)
		return !csum_tcpudp_magic(s->key.saddr.s6_addr32[0],
					  s->key.daddr.s6_addr32[0],
					  s->l4_len, IPPROTO_TCP, csum);
	return !csum_ipv6_magic(&s->key.saddr, &s->key.daddr, s->l4_len,
				IPPROTO_TCP, csum);
}

/*
 * Parse @skb as Ethernet + IPv4 (not a fragment) or IPv6 (TCP as the next
 * header) + TCP, and check the checksums that the wire does not vouch for.
 */
bool pxnic_parse(struct pxnic_priv *priv, const struct sk_buff *skb,
		 struct pxnic_seg *s)
{
	bool verify = skb->ip_summed != CHECKSUM_PARTIAL;
	const struct ethhdr *eth;
	const struct tcphdr *th;
	struct tcphdr _th;
	struct ethhdr _eth;
	unsigned int doff;
	bool ok;

	memset(s, 0, sizeof(*s));
	s->csum_ok = true;
	eth = skb_header_pointer(skb, 0, sizeof(_eth), &_eth);
	if (!eth)
		return false;
	if (eth->h_proto == htons(ETH_P_IP))
		ok = pxnic_parse_ipv4(skb, s, verify);
	else if (eth->h_proto == htons(ETH_P_IPV6))
		ok = pxnic_parse_ipv6(skb, s);
	else
		ok = false;
	if (!ok)
		return false;

	th = skb_header_pointer(skb, s->l4_off, sizeof(_th), &_th);
	if (!th)
		return false;
	doff = th->doff * 4;
	if (doff < sizeof(*th) || doff > s->l4_len)
		return false;
	s->key.net = dev_net(priv->dev);
	s->key.sport = th->source;
	s->key.dport = th->dest;
	s->seq = ntohl(th->seq);
	s->hdr_len = s->l4_off + doff;
	s->pay_off = s->hdr_len;
	s->pay_len = s->l4_len - doff;
	if (verify && s->csum_ok)
		s->csum_ok = pxnic_tcp_csum_ok(skb, s);
	return true;
}
