// TLS material for the cpprest transport and the mapping of transport failures
// (http_transport_cpprest.hpp). Error messages name the server and the CA source; they
// never contain PEM bytes, keys or tokens.
#include <openssl/err.h>
#include <openssl/pem.h>

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

}  // namespace

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

ApiError transportError(const std::exception& e, const ClusterConfig& config, const HttpRequest& req,
                        std::chrono::seconds timeout) {
  std::string what = e.what();
  std::string detail;
  if (auto* he = dynamic_cast<const web::http::http_exception*>(&e)) {
    detail = he->error_code().message();
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
    return ApiError(ErrorReason::ConnectionRefused, 0,
                    "x509: TLS verification of the API server " + config.server +
                        " failed: certificate signed by unknown authority or not valid for this host (verified "
                        "against " + config.caSource + "; " + reason +
                        "). Point certificate-authority(-data) at the CA that signed the server's certificate");
  }
  return ApiError(ErrorReason::ConnectionRefused, 0,
                  "cannot reach the API server at " + config.server + ": " + what +
                      (detail.empty() || what.find(detail) != std::string::npos ? "" : " (" + detail + ")"));
}

}  // namespace pmo::kube
