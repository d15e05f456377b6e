#pragma once
// A CA generated at start and a serving certificate it signs (ECDSA P-256), valid for
// 127.0.0.1, ::1 and localhost (plus the host the server binds to).
#include <string>

namespace pmo::sandbox {

struct Certificates {
  std::string caPem;
  std::string certPem;  // serving certificate
  std::string keyPem;   // its private key
};

// Throws std::runtime_error when OpenSSL fails.
Certificates generateCertificates(const std::string& host);

}  // namespace pmo::sandbox
