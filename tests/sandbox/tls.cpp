#include "sandbox/tls.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace pmo::sandbox {

namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("sandbox TLS: ") + what + " failed");
}

Ptr<EVP_PKEY> newKey() {
  Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key generation");
  return key;
}

void addExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  check(ext != nullptr, "certificate extension");
  check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

Ptr<X509> newCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuerKey) {
  Ptr<X509> cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 365);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("pmo-sandbox"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer ? issuer : cert.get();
  addExt(cert.get(), iss, NID_subject_key_identifier, "hash");
  if (!issuer) {
    addExt(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    addExt(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else {
    addExt(cert.get(), iss, NID_authority_key_identifier, "keyid:always");
    addExt(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
    addExt(cert.get(), iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    addExt(cert.get(), iss, NID_ext_key_usage, "serverAuth");
  }
  check(X509_sign(cert.get(), issuerKey ? issuerKey : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

std::string pem(X509* cert) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string pem(EVP_PKEY* key) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "PEM key");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

Certificates generateCertificates(const std::string& host) {
  auto caKey = newKey();
  auto ca = newCert(caKey.get(), "pmo-sandbox-ca", nullptr, nullptr);
  auto key = newKey();
  std::string san = "IP:127.0.0.1,IP:::1,DNS:localhost";
  if (host != "127.0.0.1" && host != "::1" && host != "localhost" && host != "0.0.0.0") {
    bool ip = host.find_first_not_of("0123456789.:") == std::string::npos;
    san += (ip ? ",IP:" : ",DNS:") + host;
  }
  // the SAN must be set before signing, so build the leaf by hand here
  Ptr<X509> leaf(X509_new());
  {
    auto tmp = newCert(key.get(), "pmo-sandbox-apiserver", ca.get(), caKey.get());
    leaf.reset(X509_dup(tmp.get()));
  }
  addExt(leaf.get(), ca.get(), NID_subject_alt_name, san);
  check(X509_sign(leaf.get(), caKey.get(), EVP_sha256()) > 0, "X509_sign leaf");
  return Certificates{pem(ca.get()), pem(leaf.get()), pem(key.get())};
}

}  // namespace pmo::sandbox
