// TLS material for the cpprest transport and the mapping of transport failures
// (http_transport_cpprest.hpp). Error messages name the server and the CA source; they
// never contain PEM bytes, keys or tokens.
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include "kube/http_transport_cpprest.hpp"

namespace pmo::kube {
namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memoryBio(const std::string& pem) { return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))); }

std::vector<X509*> readCertificates(const std::string& pem) {
  std::vector<X509*> out;
  BioPtr bio = memoryBio(pem);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.push_back(cert);
  ERR_clear_error();  // the end of the bundle reads as an error
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Go-style wording for the verification results people meet most.
std::string describeVerifyResult(long result, const std::string& host) {
  switch (result) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "x509: certificate signed by unknown authority";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "x509: certificate is not valid for " + host;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "x509: certificate has expired or is not yet valid";
    default:
      return std::string("x509: ") + X509_verify_cert_error_string(result);
  }
}

}  // namespace

std::optional<std::string> TlsMaterial::diagnose(const std::string& host, const std::string& port) const {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addrs = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &addrs) != 0 || !addrs) return std::nullopt;
  int fd = -1;
  for (addrinfo* a = addrs; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{3, 0};  // bounds connect, handshake reads and writes
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(addrs);
  if (fd < 0) return std::nullopt;

  std::optional<std::string> result;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx) {
    SSL_CTX_set_default_verify_paths(ctx);
    apply(ctx);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // finish the handshake, then read the verdict
    SSL* ssl = SSL_new(ctx);
    if (ssl) {
      SSL_set_fd(ssl, fd);
      SSL_set_tlsext_host_name(ssl, host.c_str());
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
      if (SSL_connect(ssl) == 1) {
        long verdict = SSL_get_verify_result(ssl);
        if (verdict != X509_V_OK) result = describeVerifyResult(verdict, host);
      }
      SSL_free(ssl);
    }
    SSL_CTX_free(ctx);
  }
  ERR_clear_error();
  ::close(fd);
  return result;
}

TlsMaterial::TlsMaterial(const ClusterConfig& config) {
  if (!config.caPem.empty()) {
    cas_ = readCertificates(config.caPem);
    if (cas_.empty()) throw ConfigError("the CA from " + config.caSource + " holds no PEM certificate");
  }
  if (!config.clientCertificatePem.empty()) {
    clientChain_ = readCertificates(config.clientCertificatePem);
    if (clientChain_.empty()) throw ConfigError("the client certificate of " + config.source + " is not PEM");
    BioPtr bio = memoryBio(config.clientKeyPem.reveal());
    key_ = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    ERR_clear_error();
    if (!key_) throw ConfigError("the client key of " + config.source + " is not a PEM private key");
    if (X509_check_private_key(clientChain_[0], key_) != 1) {
      ERR_clear_error();
      throw ConfigError("the client key of " + config.source + " does not match its client certificate");
    }
  }
}

TlsMaterial::~TlsMaterial() {
  for (X509* c : cas_) X509_free(c);
  for (X509* c : clientChain_) X509_free(c);
  EVP_PKEY_free(key_);
}

void TlsMaterial::apply(SSL_CTX* ctx) const {
  if (!cas_.empty()) {
    // Only the configured CA is trusted, as kubectl does: a server certificate signed by
    // some public CA must not pass for the cluster's.
    X509_STORE* store = X509_STORE_new();
    for (X509* ca : cas_) X509_STORE_add_cert(store, ca);  // takes its own reference
    SSL_CTX_set_cert_store(ctx, store);                     // owns the store
  }
  if (!clientChain_.empty()) {
    SSL_CTX_use_certificate(ctx, clientChain_[0]);
    for (size_t i = 1; i < clientChain_.size(); ++i) {
      X509_up_ref(clientChain_[i]);
      SSL_CTX_add_extra_chain_cert(ctx, clientChain_[i]);
    }
    SSL_CTX_use_PrivateKey(ctx, key_);
  }
  ERR_clear_error();
}

ApiError transportError(const std::exception& e, const ClusterConfig& config, const TlsMaterial& tls,
                        const HttpRequest& req, std::chrono::seconds timeout) {
  std::string what = e.what();
  std::string detail;
  if (auto* he = dynamic_cast<const web::http::http_exception*>(&e)) {
    detail = he->error_code().message();
    if (detail.rfind("Unknown error", 0) == 0) {  // an OpenSSL code asio cannot name
      const char* reason = ERR_reason_error_string(static_cast<unsigned long>(he->error_code().value()));
      if (reason) detail = reason;
    }
    if (he->error_code() == std::errc::timed_out) {
      return ApiError(ErrorReason::Timeout, 0,
                      req.verb + " " + req.resource + " on " + config.server + " timed out after " +
                          std::to_string(timeout.count()) + "s");
    }
  }
  std::string both = lower(what + " " + detail);
  if (both.find("timed out") != std::string::npos || both.find("timeout") != std::string::npos) {
    return ApiError(ErrorReason::Timeout, 0,
                    req.verb + " " + req.resource + " on " + config.server + " timed out after " +
                        std::to_string(timeout.count()) + "s");
  }
  if (both.find("certificate") != std::string::npos || both.find("handshake") != std::string::npos ||
      both.find("ssl") != std::string::npos) {
    std::string reason = detail.empty() ? what : what + ": " + detail;
    if (!config.insecureSkipTLSVerify) {
      web::uri uri(config.server);
      int port = uri.port() > 0 ? uri.port() : 443;
      if (auto verdict = tls.diagnose(uri.host(), std::to_string(port))) {
        return ApiError(ErrorReason::ConnectionRefused, 0,
                        *verdict + ": the API server " + config.server + " was verified against " + config.caSource +
                            " (" + reason + "). Point certificate-authority(-data) at the CA that signed the "
                            "server's certificate, or use the right server name");
      }
    }
    return ApiError(ErrorReason::ConnectionRefused, 0,
                    "TLS with the API server " + config.server + " failed (verified against " + config.caSource +
                        "): " + reason);
  }
  return ApiError(ErrorReason::ConnectionRefused, 0,
                  "cannot reach the API server at " + config.server + ": " + what +
                      (detail.empty() || what.find(detail) != std::string::npos ? "" : " (" + detail + ")"));
}

}  // namespace pmo::kube
