#pragma once
// Go standard-library parsers that kube-apiserver's `format` checks call, reduced to
// "would Go accept this string". Each follows the Go function named beside it.
#include <string>

namespace pmo::sandbox::goparse {

// net.ParseIP (Go >= 1.22, net/netip rules: no leading zeros in IPv4 octets, at most four
// hex digits per IPv6 group, no zone) when strict; k8s.io/utils/net.ParseIPSloppy (Go 1.16
// rules: leading zeros allowed) when not.
bool ip(const std::string& s, bool strict);
// k8s.io/utils/net.ParseCIDRSloppy.
bool cidrSloppy(const std::string& s);
// net.ParseMAC.
bool mac(const std::string& s);
// time.ParseDuration.
bool duration(const std::string& s);
// time.Parse("2006-01-02", s), including its day-of-month check.
bool date(const std::string& s);

}  // namespace pmo::sandbox::goparse
